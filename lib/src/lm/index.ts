/** Recurrent language models: character streams and batches, the model, sampling, step-by-step BPTT. */
export * from "./corpus";
export * from "./model";
export * from "./sample";
export * from "./stepwiseBptt";
// Lesson 10: the truncated-BPTT recipe of lessons 02–08 as a function, and several runs at once, one per core.
export * from "./streamTraining";
export * from "./parallel";
export { sumMatrices, frobeniusNorm, maxAbsDifference } from "../nn/core/ops";
export * from "./ngram";
