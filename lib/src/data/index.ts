/** Corpora used by the course, read from installed packages. */
export * from "./mobyDick";
export * from "./mnist";
export * from "./markdownItSource";
