// `npm run lab`: opens the course in JupyterLab (or classic Notebook) with the
// course's tslab kernel registered for this project only.
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { ROOT, findPython, jupyterEnv } from "./jupyter.mjs";
import { KERNEL_NAME, KERNEL_DISPLAY_NAME } from "./library.mjs";

/**
 * @param {string} python
 * @param {string} module
 */
function hasModule(python, module) {
  return spawnSync(python, ["-c", `import ${module}`]).status === 0;
}

try {
  const python = findPython(["jupyter_client"]);
  const app = hasModule(python, "jupyterlab") ? "jupyterlab" : hasModule(python, "notebook") ? "notebook" : null;
  if (!app) {
    throw new Error(
      `${python} has neither JupyterLab nor Notebook. Install one: ` +
        "`sudo apt-get install jupyter-notebook` (Debian/Ubuntu) or `pip install jupyterlab`.",
    );
  }
  console.log(`Opening the course with ${app} (${python}); choose the kernel "${KERNEL_DISPLAY_NAME}" [${KERNEL_NAME}].`);
  const child = spawn(python, ["-m", app, `--notebook-dir=${path.join(ROOT, "notebooks")}`, ...process.argv.slice(2)], {
    stdio: "inherit",
    env: jupyterEnv(),
  });
  child.on("exit", (code) => process.exit(code ?? 0));
} catch (e) {
  console.error(`npm run lab: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
