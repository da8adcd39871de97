export * from "./random";
export * from "./backend";
export * as plot from "./plot";
