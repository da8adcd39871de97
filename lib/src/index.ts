export * from "./random";
export * from "./nn/compute/backend";
export * as plot from "./plot";
export * as text from "./text";
export * as ngram from "./ngram";
export * as data from "./data";
export * as nn from "./nn";
export * as lm from "./lm";
export * as analysis from "./analysis";
