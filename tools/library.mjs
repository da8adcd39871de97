// The course library (@rnn-course/lib) as the tools use it: the constants it
// shares with them (kernel name, figure class, claim MIME type), the figure
// bundles and the claims. Importing this module first rebuilds lib/dist when
// its sources changed, so a tool never reads names from a stale build (a
// static import of the library would be resolved before any tool code runs).
import { ensureLibraryBuilt } from "./jupyter.mjs";

try {
  ensureLibraryBuilt();
} catch (e) {
  // tsc has printed the errors; a stack trace of the tool would only bury them.
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
const lib = await import("@rnn-course/lib");

export const { KERNEL_NAME, KERNEL_DISPLAY_NAME, FIGURE_CLASS, CLAIM_MIME, plot, claimText, describeClaimCounts } = lib;
