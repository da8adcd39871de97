import { defineConfig } from "vitest/config";

// Two projects. `unit` (npm test) needs Node alone. `full` (npm run
// test:full) holds the tests that need more: headless Chromium, or the
// grader's sandbox (Linux namespaces, util-linux, iproute2). Their files end
// in .full.test.ts, and test/full-setup.ts fails at once, saying what to
// install, when something they need is missing.
const FULL = "test/**/*.full.test.ts";

export default defineConfig({
  test: {
    // Gradient checks in float64 take a few seconds on a small machine.
    testTimeout: 60_000,
    pool: "forks",
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: [FULL] } },
      { extends: true, test: { name: "full", include: [FULL], globalSetup: ["test/full-setup.ts"] } },
    ],
  },
});
