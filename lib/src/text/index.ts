/** Text processing: tokenizers, sentence splitting, the vocabulary. */
export * from "./tokenize";
export * from "./vocabulary";
export * from "./states";
