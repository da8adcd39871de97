/** n-gram language models: counting, estimators, evaluation, sampling. */
export * from "./counts";
export * from "./model";
export * from "./mle";
export * from "./addk";
export * from "./backoff";
export * from "./interpolation";
export * from "./kneserNey";
export * from "./estimators";
export * from "./evaluate";
export * from "./sample";
