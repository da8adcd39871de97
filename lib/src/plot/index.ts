export * from "./figure";
export { show, figureBundle, displayBundle, ensureLibrary, reloadLibrary, inNotebook, LiveOutput, LIBRARY_MARKER } from "./display";
export type { MimeBundle, BundleOptions } from "./display";
export * from "./charts";
export * from "./live";
