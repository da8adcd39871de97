/**
 * Names the library shares with the course tools (tools/), defined once.
 *
 * The tools import this module from the built library
 * (`@rnn-course/lib/dist/constants.js`) rather than repeating the literals,
 * so a rename here cannot leave the runner looking for the old name. It must
 * stay free of imports: the tools load it without loading TensorFlow.js.
 */

/** Name of the course's Jupyter kernelspec (jupyter/kernels/<name>/), the tslab kernel every notebook runs on. */
export const KERNEL_NAME = "tslab-rnn-course";

/** What Jupyter shows as the kernel's name. */
export const KERNEL_DISPLAY_NAME = "TypeScript (RNN course)";

/** CSS class of the element that holds a figure; the runner's check counts these elements in the HTML export. */
export const FIGURE_CLASS = "rnn-course-figure";

/** MIME type of the machine-readable part of a claim's output, which the runner collects. */
export const CLAIM_MIME = "application/vnd.rnn-course.claim+json";
