/**
 * Sequence to sequence: an encoder–decoder with or without attention,
 * trained with teacher forcing, decoded greedily or by beam search (lesson 11).
 */
export * from "./model";
