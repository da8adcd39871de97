/**
 * The figure description shared by every plotting helper: plain data in
 * plotly's JSON schema, so the same object renders live in Jupyter, in a
 * static PNG made by the course runner, and in the HTML export.
 */

/** A JSON value, as plotly's figure schema accepts it. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** One plotly trace (`scatter`, `heatmap`, `contour`, `surface`, `table`, ...). */
export interface Trace {
  type: string;
  [attribute: string]: Json | undefined;
}

/**
 * A figure: traces, a layout, and optional plotly config.
 * Used in lessons 03 and 05.
 */
export interface Figure {
  data: Trace[];
  layout: { [attribute: string]: Json | undefined };
  config?: { [attribute: string]: Json | undefined };
}

/** The MIME type plotly's own Jupyter renderer uses; the course runner looks for it. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";
