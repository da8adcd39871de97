/** Synthetic tasks that isolate one ability of a network, generated from a seeded `Random`. */
export * from "./adding";
export * from "./repeatsLater";
export * from "./transduction";
export * from "./lastMarked";
