/** Recurrent language models: character streams and batches, the model, sampling, step-by-step BPTT. */
export * from "./corpus";
export * from "./model";
export * from "./sample";
export * from "./stepwiseBptt";
export { sumMatrices, frobeniusNorm, maxAbsDifference } from "../nn/core/ops";
export * from "./ngram";
