// How `npm run grade` contains the kernel that runs a student's code: which
// isolation this machine allows, and the kernelspec that applies it.
//
//   sandbox         the grader is root: unshare (mount, PID, IPC namespaces),
//                   a minimal read-only root built by sandbox.sh, uid 65534
//                   without capabilities, resource limits.
//   sandbox-userns  not root, but unprivileged user namespaces work: the same
//                   filesystem view and namespaces; the kernel keeps the
//                   caller's uid, without capabilities.
//   none            neither works (or --isolation none): the kernel runs as
//                   the grader's user in a scratch folder, with the time and
//                   memory limits only. Student code can then read and write
//                   whatever that user can: say so loudly.
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "../jupyter.mjs";

export const SANDBOX_SCRIPT = path.join(ROOT, "tools", "exercises", "sandbox.sh");
export const GRADER_KERNEL = "rnn-course-grader";

/**
 * @typedef {"sandbox" | "sandbox-userns" | "none"} IsolationMode
 * @typedef {{ memoryMb: number, timeLimit: number }} KernelLimits
 * @typedef {{ newRoot: string, work: string, workSource?: string, hide: string[], limits: KernelLimits }} SandboxOptions
 */

/**
 * The path of a command on PATH, or null.
 * @param {string} cmd
 */
export const which = (cmd) => {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
};

/** @type {Record<IsolationMode, string>} */
export const DESCRIPTIONS = {
  sandbox:
    "sandbox: each kernel runs as uid 65534 without capabilities, in its own mount, PID and IPC namespaces, " +
    "seeing only the system folders, node_modules/ and lib/ (read-only) and an empty scratch folder holding the submission",
  "sandbox-userns":
    "sandbox (user namespace): each kernel runs without capabilities in its own user, mount, PID and IPC namespaces, " +
    "seeing only the system folders, node_modules/ and lib/ (read-only) and an empty scratch folder holding the submission",
  none:
    "NONE: student code runs with your user's rights and can read or change your files, including the hidden tests " +
    "and the other submissions; only the time and memory limits apply. Grade untrusted work as root (e.g. in a container) " +
    "or where unprivileged user namespaces are allowed",
};

/** @param {IsolationMode} mode */
function unshareArgs(mode) {
  return [...(mode === "sandbox-userns" ? ["--user", "--map-root-user"] : []), "--mount", "--pid", "--ipc", "--fork", "--kill-child"];
}

/**
 * Environment of sandbox.sh (the kernelspec's env).
 * @param {IsolationMode} mode
 * @param {SandboxOptions} options
 * @returns {Record<string, string>}
 */
export function sandboxEnv(mode, { newRoot, work, workSource, hide, limits }) {
  return {
    GRADER_MODE: mode === "sandbox" ? "root" : "userns",
    GRADER_NEWROOT: newRoot,
    GRADER_WORK: work,
    GRADER_WORK_SRC: workSource ?? "",
    GRADER_REPO: ROOT,
    GRADER_NODE: realpathSync(process.execPath),
    GRADER_HIDE: hide.join("\n"),
    GRADER_DATA_BYTES: String(limits.memoryMb * 1024 * 1024),
    GRADER_CPU_SECONDS: String(Math.ceil(limits.timeLimit) + 30),
    GRADER_NODE_FLAGS: nodeFlags(limits).join(" "),
    GRADER_SCRATCH_MB: "256",
  };
}

/**
 * V8's heap limit: three quarters of the memory limit, the rest is for wasm, buffers and code.
 * @param {KernelLimits} limits
 */
export const nodeFlags = (limits) => [`--max-old-space-size=${Math.max(128, Math.floor(limits.memoryMb * 0.75))}`];

/**
 * Tries the sandbox variants in order and returns {mode, reasons}: the first
 * that passes sandbox.sh's own probe (it checks that a canary file outside
 * the view is unreadable, that the repo's notebooks/ is invisible, that lib/
 * is read-only and, as root, that the uid is 65534).
 * @param {"auto" | "sandbox" | "userns" | "none"} requested
 * @returns {{ mode: IsolationMode, reasons: string[] }}
 */
export function detectIsolation(requested = "auto") {
  /** @type {string[]} */
  const reasons = [];
  if (requested === "none") return { mode: "none", reasons: ["--isolation none"] };
  if (process.platform !== "linux") return { mode: "none", reasons: [`${process.platform} has no Linux namespaces`] };
  const tools = ["unshare", "setpriv", "prlimit", "chroot", "mount"].filter((t) => !which(t));
  if (tools.length) return { mode: "none", reasons: [`missing ${tools.join(", ")} (util-linux)`] };
  /** @type {IsolationMode[]} */
  const candidates = requested === "userns" ? ["sandbox-userns"] : process.getuid?.() === 0 ? ["sandbox", "sandbox-userns"] : ["sandbox-userns"];
  const dir = mkdtempSync(path.join(os.tmpdir(), "rnn-grade-probe-"));
  try {
    const canary = path.join(dir, "canary");
    writeFileSync(canary, "the sandbox must not see this\n");
    for (const mode of candidates) {
      const newRoot = path.join(dir, `root-${mode}`);
      mkdirSync(newRoot);
      const env = {
        ...process.env,
        ...sandboxEnv(mode, { newRoot, work: path.join(dir, `work-${mode}`), hide: [dir], limits: { memoryMb: 1024, timeLimit: 30 } }),
      };
      const r = spawnSync("unshare", [...unshareArgs(mode), "/bin/sh", SANDBOX_SCRIPT, "--probe", canary], { env, encoding: "utf8", timeout: 60_000 });
      if (r.status === 0 && r.stdout.includes("sandbox-ok")) return { mode, reasons };
      const why = (r.stderr || r.error?.message || `exit status ${r.status}`).trim().split("\n").filter(Boolean).slice(-2).join(" / ");
      reasons.push(`${mode}: ${why}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (requested === "sandbox" || requested === "userns") {
    throw new Error(`--isolation ${requested}: the sandbox does not work on this machine (${reasons.join("; ")})`);
  }
  return { mode: "none", reasons };
}

/**
 * The kernelspec (kernel.json) that starts one submission's kernel under `mode`.
 * @param {IsolationMode} mode
 * @param {SandboxOptions} options
 */
export function kernelSpec(mode, options) {
  const { limits } = options;
  const tslab = path.join(ROOT, "node_modules", "tslab", "bin", "tslab");
  const node = realpathSync(process.execPath);
  // The kernel dies with the runner that started it (setpriv --pdeathsig).
  const pdeath = which("setpriv") ? ["setpriv", "--pdeathsig", "KILL"] : [];
  /** @type {string[]} */
  let argv;
  /** @type {Record<string, string>} */
  let env = {};
  if (mode === "none") {
    const prlimit = which("prlimit")
      ? ["prlimit", `--data=${limits.memoryMb * 1024 * 1024}`, `--cpu=${Math.ceil(limits.timeLimit) + 30}`, "--core=0", "--"]
      : [];
    argv = [...pdeath, ...prlimit, node, ...nodeFlags(limits), tslab, "kernel", "--config-path", "{connection_file}"];
  } else {
    argv = [...pdeath, "unshare", ...unshareArgs(mode), "/bin/sh", SANDBOX_SCRIPT, "{connection_file}"];
    env = sandboxEnv(mode, options);
  }
  return { argv, display_name: "TypeScript (RNN course grader)", language: "typescript", env };
}
