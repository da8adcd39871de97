/** Recurrent language models: character streams and batches, the model, sampling, step-by-step BPTT. */
export * from "./corpus";
export * from "./model";
export * from "./sample";
export * from "./bptt";
export * from "./ngram";
