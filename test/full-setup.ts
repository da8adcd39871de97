// Global setup of the `full` test project (`npm run test:full`): before any
// test starts, checks that the machine has what those tests need beyond Node
// (headless Chromium; the grader's sandbox: Linux namespaces as root or in an
// unprivileged user namespace, with util-linux and iproute2), and fails at
// once saying what to install. `npm test` needs none of it.
import { findChromium, CHROMIUM_HINT } from "../tools/browser.mjs";
import { detectIsolation, sandboxTools } from "../tools/exercises/isolation.mjs";

export default async function checkFullSetup(): Promise<void> {
  const missing: string[] = [];
  if (!findChromium()) missing.push(`headless Chromium, for the site and the figures: ${CHROMIUM_HINT}`);
  const tools = sandboxTools().missing;
  if (tools.length) {
    missing.push(`the grader's sandbox tools ${tools.join(", ")}: install them (Debian: apt-get install util-linux mount coreutils iproute2)`);
  } else {
    try {
      await detectIsolation("auto");
    } catch (e) {
      missing.push(`a working sandbox for the grader: ${e instanceof Error ? e.message : e}`);
    }
  }
  if (missing.length) {
    throw new Error(`npm run test:full needs what npm test does not; missing:\n  - ${missing.join("\n  - ")}`);
  }
}
