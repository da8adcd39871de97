import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Gradient checks in float64 take a few seconds on a small machine.
    testTimeout: 60_000,
    pool: "forks",
  },
});
