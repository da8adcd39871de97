export * from "./figure";
export { show, figureBundle, displayBundle, ensureLibrary, reloadLibrary, inNotebook, LiveOutput, LIBRARY_MARKER, PLOTLY_ASSETS, FIGURE_DIGITS, PACK_MIN_LENGTH, LIVE_ENV, roundNumbers, packArray, plotlyLibraryFile } from "./display";
export type { MimeBundle, BundleOptions } from "./display";
// The builders, one module per chart family, and what they share (style, axes, input types).
export { PALETTE, seriesColor, DIVERGING, LIGHT, TEMPLATE, formatNumber } from "./style";
export type { ColorRef, Dash, Colorscale, FigureOptions } from "./style";
export type { AxesOptions, Shape } from "./axes";
export type { Numbers } from "./validate";
export * from "./lines";
export * from "./scatter";
export * from "./heatmap";
export * from "./histogram";
export * from "./bars";
export * from "./box";
export * from "./surface";
export * from "./table";
export * from "./subplots";
export * from "./live";
export * from "./textHeat";
