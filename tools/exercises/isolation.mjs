// How `npm run grade` contains the kernel that runs a student's code: which
// isolation this machine allows, and the commands that apply it.
//
//   sandbox         the grader is root: the submission's runner and kernel in a
//                   network namespace of their own (loopback only), the kernel
//                   in new mount, PID and IPC namespaces too, in a minimal
//                   read-only root built by sandbox.sh, as a user id of its own
//                   (one per submission) without capabilities, with limits.
//   sandbox-userns  not root, but unprivileged user namespaces work: the same
//                   namespaces and filesystem view inside user namespaces; the
//                   kernel keeps the caller's uid, without capabilities.
//   none            only on request (--isolation none): the kernel runs as the
//                   grader's user in a scratch folder, with the time and memory
//                   limits only. Student code can then read and write whatever
//                   that user can, and reach the network: said loudly.
// Without a working sandbox the grader refuses to grade (fails closed) unless
// the instructor asked for `none`.
import { spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, mkdirSync, writeFileSync, rmSync, realpathSync, statSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { ROOT } from "../jupyter.mjs";

export const SANDBOX_SCRIPT = path.join(ROOT, "tools", "exercises", "sandbox.sh");
export const GRADER_KERNEL = "rnn-course-grader";

/**
 * @typedef {"sandbox" | "sandbox-userns" | "none"} IsolationMode
 * @typedef {{ memoryMb: number, timeLimit: number }} KernelLimits
 * @typedef {{ newRoot: string, work: string, workSource?: string, hide: string[], limits: KernelLimits, uid?: number }} SandboxOptions
 * @typedef {{ mode: IsolationMode, reasons: string[], tools: Record<string, string> }} Isolation
 */

/** Thrown when the requested isolation is unavailable: the grader refuses to grade. */
export class IsolationError extends Error {}

/** Processes a submission's kernel may have at once (RLIMIT_NPROC of its own user id or user namespace). */
export const MAX_PROCESSES = 256;

/**
 * The user id a submission's kernel runs as when the grader is root: one per
 * submission, so that limits counted per user (RLIMIT_NPROC) are per
 * submission, and no two concurrent kernels can signal or ptrace each other.
 * Far above the ids of real users and system accounts; the grader's pid
 * spreads concurrent grader runs apart.
 * @param {number} n  the submission's number in this run (1, 2, ...)
 */
export const kernelUid = (n) => 0x1000000 + (process.pid % 4096) * 0x10000 + (n % 0x10000);

/**
 * The system folders searched for the tools the sandbox needs, in order. Not
 * PATH: a user's PATH often lacks /usr/sbin (Debian), and a PATH entry the
 * grader's user can write to must not choose the programs that build the sandbox.
 */
const SYSTEM_DIRS = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/**
 * The absolute path of a system tool (an executable file in SYSTEM_DIRS), or null.
 * @param {string} cmd
 */
export const which = (cmd) => {
  for (const dir of SYSTEM_DIRS) {
    const p = path.join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
};

/** The tools the sandbox is built with (util-linux, coreutils, iproute2). */
export const SANDBOX_TOOLS = ["unshare", "setpriv", "prlimit", "chroot", "mount", "ip"];

/**
 * The absolute paths of SANDBOX_TOOLS, or the list of those missing.
 * @returns {{ tools: Record<string, string>, missing: string[] }}
 */
export function sandboxTools() {
  /** @type {Record<string, string>} */
  const tools = {};
  const missing = [];
  for (const t of SANDBOX_TOOLS) {
    const p = which(t);
    if (p) tools[t] = p;
    else missing.push(t);
  }
  return { tools, missing };
}

/** @type {Record<IsolationMode, string>} */
export const DESCRIPTIONS = {
  sandbox:
    "sandbox: each submission's kernel runs as a user id of its own without capabilities, in its own network " +
    "(no network, not even the other submissions' kernels), mount, PID and IPC namespaces, " +
    "seeing only the system folders, node_modules/, lib/ and the kernel launcher (read-only) and an empty scratch folder holding the submission",
  "sandbox-userns":
    "sandbox (user namespace): each submission's kernel runs without capabilities in its own user, network " +
    "(no network), mount, PID and IPC namespaces, " +
    "seeing only the system folders, node_modules/, lib/ and the kernel launcher (read-only) and an empty scratch folder holding the submission",
  none:
    "NONE (--isolation none): student code runs with your user's rights and can read or change your files, including the hidden tests " +
    "and the other submissions, and reach the network; only the time and memory limits apply. Grade untrusted work as root (e.g. in a container) " +
    "or where unprivileged user namespaces are allowed",
};

/** A loud warning for --isolation none, printed before anything runs. */
export const NO_ISOLATION_WARNING = [
  "!!! WARNING: --isolation none: THE SUBMISSIONS RUN WITHOUT ANY SANDBOX.",
  "!!! Student code runs with your rights: it can read the hidden tests and the other submissions,",
  "!!! change or delete your files, and use the network. Grade only code you trust this way.",
].join("\n");

/** @param {IsolationMode} mode */
function unshareArgs(mode) {
  return [...(mode === "sandbox-userns" ? ["--user", "--map-root-user"] : []), "--mount", "--pid", "--ipc", "--fork", "--kill-child"];
}

/**
 * The command prefix that starts a submission's runner (the Jupyter client
 * that drives its kernel) in a network namespace of its own, with only the
 * loopback interface up: the kernel's ports live there, out of reach of the
 * other submissions, and nothing outside can be reached.
 * @param {IsolationMode} mode
 * @param {Record<string, string>} tools  absolute paths (sandboxTools)
 * @returns {string[]}
 */
export function runnerPrefix(mode, tools) {
  if (mode === "none") return [];
  const user = mode === "sandbox-userns" ? ["--user", "--map-root-user"] : [];
  return [tools.unshare, ...user, "--net", "--", "/bin/sh", "-c", '"$0" link set lo up && shift && exec "$@"', tools.ip, "--"];
}

/**
 * Environment of sandbox.sh (the kernelspec's env).
 * @param {IsolationMode} mode
 * @param {SandboxOptions} options
 * @returns {Record<string, string>}
 */
export function sandboxEnv(mode, { newRoot, work, workSource, hide, limits, uid }) {
  return {
    GRADER_MODE: mode === "sandbox" ? "root" : "userns",
    GRADER_NEWROOT: newRoot,
    GRADER_WORK: work,
    GRADER_WORK_SRC: workSource ?? "",
    GRADER_REPO: ROOT,
    GRADER_NODE: realpathSync(process.execPath),
    GRADER_HIDE: hide.join("\n"),
    GRADER_UID: String(uid ?? 65534),
    GRADER_NPROC: String(MAX_PROCESSES),
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
 * Runs a command; resolves to its status and output (a timeout kills it).
 * @param {string[]} argv
 * @param {NodeJS.ProcessEnv} env
 * @param {number} timeoutMs
 * @returns {Promise<{ status: number | null, stdout: string, stderr: string }>}
 */
function run(argv, env, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => (stderr += e.message));
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/**
 * Finds the isolation to grade with: the first sandbox variant that passes
 * sandbox.sh's own probe, run exactly as a kernel would be (in the runner's
 * network namespace): a canary file outside the view is unreadable, the
 * repo's notebooks/ is invisible, lib/ is read-only, as root the uid is the
 * submission's own, a TCP port listening on the grader's 127.0.0.1 cannot be
 * reached and the only network interface is the loopback, and
 * RLIMIT_NPROC is set.
 *
 * Fails closed: throws IsolationError when no sandbox works, unless `none`
 * was requested.
 * @param {"auto" | "sandbox" | "userns" | "none"} requested
 * @returns {Promise<Isolation>}
 */
export async function detectIsolation(requested = "auto") {
  /** @type {string[]} */
  const reasons = [];
  const { tools, missing } = sandboxTools();
  if (requested === "none") return { mode: "none", reasons: ["--isolation none"], tools };
  const refuse = (/** @type {string} */ why) =>
    new IsolationError(
      `no sandbox for the submissions on this machine (${why}): refusing to grade untrusted code without isolation. ` +
        "Grade as root (e.g. in a container) or where unprivileged user namespaces are allowed; " +
        "or, for code you trust, pass --isolation none",
    );
  if (process.platform !== "linux") throw refuse(`${process.platform} has no Linux namespaces`);
  if (missing.length) throw refuse(`missing ${missing.join(", ")} in ${SYSTEM_DIRS.join(", ")} (packages util-linux, coreutils, iproute2)`);
  /** @type {IsolationMode[]} */
  const candidates = requested === "userns" ? ["sandbox-userns"] : process.getuid?.() === 0 ? ["sandbox", "sandbox-userns"] : ["sandbox-userns"];
  const dir = mkdtempSync(path.join(os.tmpdir(), "rnn-grade-probe-"));
  // A service on the grader's loopback that a kernel must not reach.
  const server = net.createServer((socket) => socket.destroy());
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  try {
    const canary = path.join(dir, "canary");
    writeFileSync(canary, "the sandbox must not see this\n");
    for (const mode of candidates) {
      const newRoot = path.join(dir, `root-${mode}`);
      mkdirSync(newRoot);
      const env = {
        ...process.env,
        ...sandboxEnv(mode, { newRoot, work: path.join(dir, `work-${mode}`), hide: [dir], limits: { memoryMb: 1024, timeLimit: 30 }, uid: kernelUid(0) }),
      };
      const argv = [...runnerPrefix(mode, tools), tools.unshare, ...unshareArgs(mode), "/bin/sh", SANDBOX_SCRIPT, "--probe", canary, String(port)];
      const r = await run(argv, env, 60_000);
      if (r.status === 0 && r.stdout.includes("sandbox-ok")) return { mode, reasons, tools };
      const why = (r.stderr || `exit status ${r.status}`).trim().split("\n").filter(Boolean).slice(-2).join(" / ");
      reasons.push(`${mode}: ${why}`);
    }
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  throw refuse(reasons.join("; "));
}

/**
 * The kernelspec (kernel.json) that starts one submission's kernel under `mode`.
 * @param {Isolation} isolation
 * @param {SandboxOptions} options
 */
export function kernelSpec({ mode, tools }, options) {
  const { limits } = options;
  const tslab = path.join(ROOT, "tools", "kernel", "tslab-kernel.cjs"); // tslab, its sends queued (that file says why)
  const node = realpathSync(process.execPath);
  // The kernel dies with the runner that started it (setpriv --pdeathsig).
  const pdeath = tools.setpriv ? [tools.setpriv, "--pdeathsig", "KILL"] : [];
  /** @type {string[]} */
  let argv;
  /** @type {Record<string, string>} */
  let env = {};
  if (mode === "none") {
    const prlimit = tools.prlimit
      ? [tools.prlimit, `--data=${limits.memoryMb * 1024 * 1024}`, `--cpu=${Math.ceil(limits.timeLimit) + 30}`, "--core=0", "--"]
      : [];
    argv = [...pdeath, ...prlimit, node, ...nodeFlags(limits), tslab, "kernel", "--config-path", "{connection_file}"];
  } else {
    argv = [...pdeath, tools.unshare, ...unshareArgs(mode), "/bin/sh", SANDBOX_SCRIPT, "{connection_file}"];
    env = sandboxEnv(mode, options);
  }
  return { argv, display_name: "TypeScript (RNN course grader)", language: "typescript", env };
}
