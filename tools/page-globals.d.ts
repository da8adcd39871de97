// What the pages tools/browser.mjs opens in Chromium define: plotly.js,
// loaded into the figure renderer's page and into every exported lesson.
// Only the callbacks that run inside those pages (page.evaluate) use it.
interface PlotlyApi {
  toImage(
    figure: { data: unknown; layout: unknown; config: unknown },
    options: { format: "png" | "svg" | "jpeg"; width: number; height: number; scale?: number },
  ): Promise<string>;
}

interface Window {
  Plotly: PlotlyApi;
}
