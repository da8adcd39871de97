// A Jupyter kernel client in Node: finds a kernelspec, starts the kernel it
// describes and speaks the Jupyter messaging protocol (version 5.3) to it
// over ZeroMQ, as jupyter_client does in Python. The course's executor
// (tools/kernel/execute.mjs) is built on it; nothing here needs Python.
//
// The wire format: each message is the frames
//   [<IDS|MSG>, HMAC-SHA256(key, header + parent_header + metadata + content),
//    header, parent_header, metadata, content]
// sent on the shell or control channel (DEALER to the kernel's ROUTER); the
// kernel publishes outputs and busy/idle status on iopub (PUB to our SUB)
// with parent_header naming the request they answer.
// https://jupyter-client.readthedocs.io/en/latest/messaging.html
import { spawn } from "node:child_process";
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import * as zmq from "zeromq";

/**
 * @typedef {{ [key: string]: unknown }} JsonObject
 * @typedef {{ msg_id: string, msg_type: string, session: string, username: string, date: string, version: string }} Header
 * @typedef {{ header: Header, parent_header: Partial<Header>, metadata: JsonObject, content: JsonObject, channel: "shell" | "control" | "iopub" }} Message
 * @typedef {{ argv: string[], display_name: string, language?: string, interrupt_mode?: string, env?: Record<string, string> }} KernelSpecJson
 * @typedef {KernelSpecJson & { name: string, resourceDir: string }} KernelSpec
 */

export class KernelError extends Error {}

const DELIMITER = "<IDS|MSG>";
const PROTOCOL_VERSION = "5.3";

/**
 * The folders Jupyter searches for data (kernelspecs live in their
 * `kernels/`), in its order: JUPYTER_PATH, the user's, then the system's.
 * @param {NodeJS.ProcessEnv} env
 */
export function jupyterDataDirs(env = process.env) {
  const dirs = (env.JUPYTER_PATH ?? "").split(path.delimiter).filter(Boolean);
  const home = env.HOME ?? os.homedir();
  dirs.push(env.JUPYTER_DATA_DIR ?? path.join(env.XDG_DATA_HOME ?? path.join(home, ".local", "share"), "jupyter"));
  dirs.push("/usr/local/share/jupyter", "/usr/share/jupyter");
  return dirs;
}

/**
 * The kernelspec called `name`: the first `kernels/<name>/kernel.json` on the
 * data path. Throws KernelError naming the folders searched when there is none.
 * @param {string} name
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {KernelSpec}
 */
export function findKernelSpec(name, env = process.env) {
  const dirs = jupyterDataDirs(env);
  for (const dir of dirs) {
    const file = path.join(dir, "kernels", name, "kernel.json");
    if (!existsSync(file)) continue;
    /** @type {unknown} */
    let spec;
    try {
      spec = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new KernelError(`${file} is not valid JSON (${e instanceof Error ? e.message : e})`);
    }
    if (typeof spec !== "object" || spec === null || !Array.isArray(/** @type {JsonObject} */ (spec).argv)) {
      throw new KernelError(`${file} has no argv (the command that starts the kernel)`);
    }
    return { ...(/** @type {KernelSpecJson} */ (spec)), name, resourceDir: path.dirname(file) };
  }
  throw new KernelError(`no kernelspec named '${name}' (looked for kernels/${name}/kernel.json in ${dirs.join(", ")})`);
}

/** Five free TCP ports on the loopback interface (the kernel binds them). */
async function freePorts(count = 5) {
  /** @type {import("node:net").Server[]} */
  const servers = [];
  /** @type {number[]} */
  const ports = [];
  // All held open at once, so the five are distinct.
  for (let i = 0; i < count; i++) {
    const server = createServer();
    await new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve(undefined));
    });
    servers.push(server);
    const address = server.address();
    if (address === null || typeof address === "string") throw new KernelError("could not find a free port");
    ports.push(address.port);
  }
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(() => resolve(undefined)))));
  return ports;
}

/**
 * @param {string} key
 * @param {string[]} parts  header, parent_header, metadata, content as JSON text
 */
const sign = (key, parts) => {
  const hmac = createHmac("sha256", key);
  for (const p of parts) hmac.update(p);
  return hmac.digest("hex");
};

/** Kernels started by this process that are still running: killed if the process exits without shutting them down. */
/** @type {Set<KernelClient>} */
const running = new Set();
process.on("exit", () => {
  for (const k of running) k.killNow();
});

/**
 * A running kernel and the client's three sockets to it. Create with startKernel.
 */
export class KernelClient {
  /**
   * @param {import("node:child_process").ChildProcess} child
   * @param {{ key: string, connectionDir: string, spec: KernelSpec }} info
   * @param {{ shell: zmq.Dealer, control: zmq.Dealer, iopub: zmq.Subscriber }} sockets
   */
  constructor(child, info, sockets) {
    this.child = child;
    this.pid = child.pid ?? -1;
    this.spec = info.spec;
    this.key = info.key;
    this.connectionDir = info.connectionDir;
    this.sockets = sockets;
    this.session = randomUUID();
    /** Whatever the kernel printed on stdout/stderr itself (not cell output): the last 64 kB. */
    this.log = "";
    /** @type {{ code: number | null, signal: NodeJS.Signals | null } | null} */
    this.exited = null;
    /** @type {Map<string, (message: Message) => void>} listeners by the msg_id of the request a message answers */
    this.listeners = new Map();
    /** @type {((exit: { code: number | null, signal: NodeJS.Signals | null }) => void)[]} */
    this.exitListeners = [];
    /** Set when the kernel sent a signed message that is not JSON: what it was (the kernel is then stopped). */
    /** @type {string | null} */
    this.unreadable = null;
    /** Messages that failed the signature check (never acted on). */
    this.badSignatures = 0;
    this.closed = false;
    /** @type {JsonObject} the kernel_info_reply's content */
    this.kernelInfo = {};
    const keep = (/** @type {Buffer} */ d) => {
      this.log = (this.log + d.toString()).slice(-65536);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.exitedPromise = new Promise((resolve) => {
      // "close", not "exit": by then everything the kernel printed has been read.
      child.on("close", (code, signal) => {
        this.exited = { code, signal };
        running.delete(this);
        for (const l of this.exitListeners) l(this.exited);
        resolve(this.exited);
      });
    });
    running.add(this);
    for (const channel of /** @type {const} */ (["shell", "control", "iopub"])) this.listen(channel);
  }

  /**
   * Reads one channel until its socket closes, handing each verified message
   * to the listener of its parent request.
   * @param {"shell" | "control" | "iopub"} channel
   */
  async listen(channel) {
    try {
      for await (const frames of this.sockets[channel]) {
        /** @type {Message | null} */
        let message;
        try {
          message = this.parse(frames, channel);
        } catch (e) {
          // Signed by the kernel, yet not JSON: its runtime was tampered with (a cell replaced
          // JSON.stringify, which tslab writes its messages with). Nothing it sends can be trusted
          // any more: it is stopped, and whatever waits for it fails as for a kernel that died.
          this.unreadable ??= `a message on ${channel} that is not JSON: ${e instanceof Error ? e.message : e}`;
          this.killNow();
          return;
        }
        if (!message) continue;
        const parent = message.parent_header.msg_id;
        if (parent) this.listeners.get(parent)?.(message);
      }
    } catch (e) {
      if (!this.closed) throw e;
    }
  }

  /**
   * @param {Buffer[]} frames
   * @param {Message["channel"]} channel
   * @returns {Message | null}
   */
  parse(frames, channel) {
    const at = frames.findIndex((f) => f.toString() === DELIMITER);
    if (at < 0 || frames.length < at + 6) return null;
    const signature = frames[at + 1].toString();
    const parts = frames.slice(at + 2, at + 6).map((f) => f.toString());
    const expected = sign(this.key, parts);
    if (signature.length !== expected.length || !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) {
      this.badSignatures++;
      return null;
    }
    const [header, parent_header, metadata, content] = parts.map((p) => JSON.parse(p));
    return { header, parent_header, metadata, content, channel };
  }

  /**
   * Sends a request and returns its msg_id; `onMessage` gets every message
   * (reply and iopub) that names it as parent, until `forget(msgId)`.
   * @param {"shell" | "control"} channel
   * @param {string} msgType
   * @param {JsonObject} content
   * @param {(message: Message) => void} onMessage
   */
  async send(channel, msgType, content, onMessage) {
    if (this.closed) throw new KernelError("the kernel client is closed");
    /** @type {Header} */
    const header = {
      msg_id: randomUUID(),
      msg_type: msgType,
      session: this.session,
      username: "rnn-course",
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    };
    this.listeners.set(header.msg_id, onMessage);
    const parts = [JSON.stringify(header), "{}", "{}", JSON.stringify(content)];
    await this.sockets[channel].send([DELIMITER, sign(this.key, parts), ...parts]);
    return header.msg_id;
  }

  /** @param {string} msgId */
  forget(msgId) {
    this.listeners.delete(msgId);
  }

  /**
   * Sends a request and waits for its reply on the same channel and for the
   * kernel's idle status on iopub (after which no more output of it comes).
   * Rejects when the kernel exits first or `timeoutMs` passes.
   * @param {"shell" | "control"} channel
   * @param {string} msgType
   * @param {JsonObject} content
   * @param {{ timeoutMs?: number, onIopub?: (message: Message) => void, waitForIdle?: boolean }} [options]
   *   `onIopub` gets every iopub message of the request, its busy and idle status included
   * @returns {Promise<Message>} the reply
   */
  request(channel, msgType, content, { timeoutMs = Infinity, onIopub = () => {}, waitForIdle = true } = {}) {
    return new Promise((resolve, reject) => {
      /** @type {Message | null} */
      let reply = null;
      let idle = !waitForIdle;
      /** @type {string | null} */
      let msgId = null;
      /** @type {NodeJS.Timeout | undefined} */
      let timer;
      const finish = (/** @type {Error | null} */ error) => {
        clearTimeout(timer);
        if (msgId) this.forget(msgId);
        this.exitListeners = this.exitListeners.filter((l) => l !== onExit);
        if (error) reject(error);
        else resolve(/** @type {Message} */ (reply));
      };
      const onExit = () => finish(new KernelDiedError(this));
      if (this.exited) return onExit();
      this.exitListeners.push(onExit);
      if (Number.isFinite(timeoutMs)) timer = setTimeout(() => finish(new KernelTimeoutError(msgType, timeoutMs)), timeoutMs);
      this.send(channel, msgType, content, (message) => {
        if (message.channel === channel && message.header.msg_type === msgType.replace(/_request$/, "_reply")) reply = message;
        else if (message.channel === "iopub") {
          onIopub(message);
          if (message.header.msg_type === "status" && message.content.execution_state === "idle") idle = true;
        }
        if (reply && idle) finish(null);
      }).then(
        (id) => (msgId = id),
        (e) => finish(e),
      );
    });
  }

  /**
   * Asks for kernel_info until the kernel answers on shell and its status
   * arrives on iopub (a SUB socket misses what is published before it is
   * connected, so the first answers can be lost; asking again every 250 ms
   * rather than every second saves most of a second per notebook). Returns
   * the reply content.
   * @param {number} timeoutMs
   */
  async waitForReady(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited) throw new KernelDiedError(this, "while starting");
      try {
        const reply = await this.request("shell", "kernel_info_request", {}, { timeoutMs: Math.min(250, Math.max(1, deadline - Date.now())) });
        return reply.content;
      } catch (e) {
        if (e instanceof KernelDiedError) throw new KernelDiedError(this, "while starting");
        if (!(e instanceof KernelTimeoutError)) throw e;
      }
      if (Date.now() >= deadline) {
        throw new KernelError(`the kernel '${this.spec.name}' did not answer within ${Math.round(timeoutMs / 1000)} s${this.logTail()}`);
      }
    }
  }

  /** Interrupts the running cell the way the kernelspec says (tslab: SIGINT to the kernel's process group). */
  interrupt() {
    if (this.exited) return;
    if (this.spec.interrupt_mode === "message") {
      this.send("control", "interrupt_request", {}, () => {}).catch(() => {});
      return;
    }
    signalGroup(this.pid, "SIGINT");
  }

  /**
   * Stops the kernel: a shutdown_request on control, then SIGTERM and
   * SIGKILL to its process group if it has not exited in time. Idempotent.
   * @param {{ graceMs?: number }} [options]
   */
  async shutdown({ graceMs = 2000 } = {}) {
    if (!this.exited && !this.closed) {
      this.send("control", "shutdown_request", { restart: false }, () => {}).catch(() => {});
      await Promise.race([this.exitedPromise, delay(graceMs)]);
    }
    if (!this.exited) {
      signalGroup(this.pid, "SIGTERM");
      await Promise.race([this.exitedPromise, delay(1000)]);
    }
    if (!this.exited) {
      signalGroup(this.pid, "SIGKILL");
      await Promise.race([this.exitedPromise, delay(2000)]);
    }
    this.close();
  }

  /** Kills the kernel's process group at once (synchronous: usable in an exit handler). */
  killNow() {
    if (!this.exited) signalGroup(this.pid, "SIGKILL");
    this.close();
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    for (const s of Object.values(this.sockets)) s.close();
    rmSync(this.connectionDir, { recursive: true, force: true });
    running.delete(this);
  }

  logTail(lines = 20) {
    const tail = this.log.trim().split("\n").slice(-lines).join("\n");
    return tail ? `; it printed:\n${tail}` : "";
  }
}

export class KernelDiedError extends KernelError {
  /**
   * @param {KernelClient} kernel
   * @param {string} [when]
   */
  constructor(kernel, when = "") {
    const how = kernel.unreadable
      ? `was stopped: it sent ${kernel.unreadable}`
      : kernel.exited?.signal ? `was killed by ${kernel.exited.signal}` : `exited with status ${kernel.exited?.code}`;
    super(`the kernel ${how}${when ? ` ${when}` : ""}${kernel.logTail()}`);
  }
}

export class KernelTimeoutError extends KernelError {
  /**
   * @param {string} msgType
   * @param {number} timeoutMs
   */
  constructor(msgType, timeoutMs) {
    super(`no answer to ${msgType} within ${timeoutMs / 1000} s`);
    this.timeoutMs = timeoutMs;
  }
}

/** @param {number} ms */
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Signals a kernel's whole process group (it runs in its own session, so a
 * Ctrl-C in the terminal reaches the runner only, which decides what to do).
 * @param {number} pid
 * @param {NodeJS.Signals} signal
 */
function signalGroup(pid, signal) {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Starts the kernel of kernelspec `kernelName` in folder `cwd` and returns a
 * client once it answers kernel_info. `argv[0] = "node"` in a kernelspec
 * runs with this very Node (process.execPath), so the kernel and the tools
 * agree on the version whatever PATH says.
 * @param {{ kernelName: string, cwd: string, env?: NodeJS.ProcessEnv, startupTimeoutMs?: number }} options
 */
export async function startKernel({ kernelName, cwd, env = process.env, startupTimeoutMs = 120_000 }) {
  const spec = findKernelSpec(kernelName, env);
  const [shellPort, iopubPort, stdinPort, controlPort, hbPort] = await freePorts();
  const key = randomUUID();
  const connection = {
    shell_port: shellPort,
    iopub_port: iopubPort,
    stdin_port: stdinPort,
    control_port: controlPort,
    hb_port: hbPort,
    ip: "127.0.0.1",
    key,
    transport: "tcp",
    signature_scheme: "hmac-sha256",
    kernel_name: kernelName,
  };
  const connectionDir = mkdtempSync(path.join(os.tmpdir(), "rnn-course-kernel-"));
  const connectionFile = path.join(connectionDir, "kernel.json");
  writeFileSync(connectionFile, JSON.stringify(connection, null, 1), { mode: 0o600 });
  const argv = spec.argv.map((a) => a.replaceAll("{connection_file}", connectionFile).replaceAll("{resource_dir}", spec.resourceDir));
  if (argv[0] === "node") argv[0] = process.execPath;
  const child = spawn(argv[0], argv.slice(1), {
    cwd,
    env: { ...env, ...(spec.env ?? {}) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  /** @type {Error | null} */
  let spawnError = null;
  child.on("error", (e) => (spawnError = e));
  const url = (/** @type {number} */ port) => `tcp://127.0.0.1:${port}`;
  const sockets = {
    shell: new zmq.Dealer({ linger: 0 }),
    control: new zmq.Dealer({ linger: 0 }),
    iopub: new zmq.Subscriber({ linger: 0, receiveHighWaterMark: 0 }), // no limit: a burst of output must not be dropped
  };
  sockets.shell.connect(url(shellPort));
  sockets.control.connect(url(controlPort));
  sockets.iopub.connect(url(iopubPort));
  sockets.iopub.subscribe();
  const kernel = new KernelClient(child, { key, connectionDir, spec }, sockets);
  try {
    kernel.kernelInfo = await kernel.waitForReady(startupTimeoutMs);
  } catch (e) {
    await kernel.shutdown({ graceMs: 0 });
    // A command that could not be started at all says so better than "the kernel exited".
    if (spawnError) throw new KernelError(`could not start the kernel '${kernelName}' (${argv[0]}: ${/** @type {Error} */ (spawnError).message})`);
    throw e;
  }
  return kernel;
}
