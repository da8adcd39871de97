// The Jupyter protocol client (tools/kernel/client.mjs) against a small fake
// kernel written here, so the wire format itself is checked: the kernelspec
// found on JUPYTER_PATH with {connection_file} and {resource_dir} filled in,
// a private connection file, HMAC-SHA256 signatures both ways (a forged
// message is dropped, never shown), replies matched to their request, the
// idle status awaited, interrupt as SIGINT, shutdown on the control channel.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import os from "os";
import path from "path";
import { startKernel, findKernelSpec, KernelError, type Message } from "../tools/kernel/client.mjs";

const ROOT = path.join(__dirname, "..");
let tmp: string;

// The fake kernel: answers kernel_info and execute_request as a kernel does,
// and before each execute_reply also publishes one stream message signed with
// the wrong key.
const FAKE_KERNEL = `
import { createHmac } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
const zmq = createRequire(import.meta.url)(${JSON.stringify(path.join(ROOT, "node_modules", "zeromq"))});
const file = process.argv[2];
const conn = JSON.parse(readFileSync(file, "utf8"));
const mode = statSync(file).mode & 0o777;
const url = (p) => conn.transport + "://" + conn.ip + ":" + p;
const shell = new zmq.Router(), control = new zmq.Router(), iopub = new zmq.Publisher();
await shell.bind(url(conn.shell_port)); await control.bind(url(conn.control_port)); await iopub.bind(url(conn.iopub_port));
const sign = (key, parts) => { const h = createHmac("sha256", key); for (const p of parts) h.update(p); return h.digest("hex"); };
let sigints = 0;
process.on("SIGINT", () => sigints++);
let count = 0;
async function send(sock, ids, parent, type, content, key = conn.key) {
  const header = { msg_id: String(Math.random()), msg_type: type, session: "fake", username: "fake", date: new Date().toISOString(), version: "5.3" };
  const parts = [JSON.stringify(header), JSON.stringify(parent), "{}", JSON.stringify(content)];
  await sock.send([...ids, "<IDS|MSG>", sign(key, parts), ...parts]);
}
async function serve(sock) {
  for await (const frames of sock) {
    const at = frames.findIndex((f) => f.toString() === "<IDS|MSG>");
    const ids = frames.slice(0, at);
    const parts = frames.slice(at + 2, at + 6).map(String);
    if (frames[at + 1].toString() !== sign(conn.key, parts)) continue; // unsigned requests are ignored
    const header = JSON.parse(parts[0]);
    const content = JSON.parse(parts[3]);
    await send(iopub, [], header, "status", { execution_state: "busy" });
    if (header.msg_type === "kernel_info_request") {
      await send(sock, ids, header, "kernel_info_reply", { protocol_version: "5.3", language_info: { name: "fake" }, connection_file_mode: mode });
    } else if (header.msg_type === "execute_request") {
      count++;
      await send(iopub, [], header, "stream", { name: "stdout", text: "forged\\n" }, "not-the-key");
      await send(iopub, [], header, "stream", { name: "stdout", text: "ran: " + content.code + " (SIGINTs so far: " + sigints + ")\\n" });
      await send(sock, ids, header, "execute_reply", { status: "ok", execution_count: count });
    } else if (header.msg_type === "shutdown_request") {
      await send(sock, ids, header, "shutdown_reply", { restart: false });
      await send(iopub, [], header, "status", { execution_state: "idle" });
      setTimeout(() => process.exit(0), 50);
      continue;
    }
    await send(iopub, [], header, "status", { execution_state: "idle" });
  }
}
serve(shell); serve(control);
`;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "rnn-kernel-protocol-"));
  const dir = path.join(tmp, "kernels", "fake");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "fake.mjs"), FAKE_KERNEL);
  writeFileSync(path.join(dir, "kernel.json"), JSON.stringify({ argv: ["node", "{resource_dir}/fake.mjs", "{connection_file}"], display_name: "Fake", language: "fake" }));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("the Jupyter protocol client", () => {
  it("finds a kernelspec on JUPYTER_PATH and names the folders it searched when there is none", () => {
    const env = { ...process.env, JUPYTER_PATH: tmp, JUPYTER_DATA_DIR: path.join(tmp, "nothing") };
    expect(findKernelSpec("fake", env)).toMatchObject({ name: "fake", resourceDir: path.join(tmp, "kernels", "fake"), display_name: "Fake" });
    expect(() => findKernelSpec("missing", env)).toThrow(KernelError);
    expect(() => findKernelSpec("missing", env)).toThrow(`no kernelspec named 'missing' (looked for kernels/missing/kernel.json in ${tmp}, ${path.join(tmp, "nothing")}`);
  });

  it("signs its requests, drops forged messages, matches replies to requests and shuts the kernel down", async () => {
    const kernel = await startKernel({ kernelName: "fake", cwd: tmp, env: { ...process.env, JUPYTER_PATH: tmp }, startupTimeoutMs: 30_000 });
    try {
      // The fake kernel only answers signed requests, so an answer proves the signature.
      expect(kernel.kernelInfo).toMatchObject({ protocol_version: "5.3", language_info: { name: "fake" }, connection_file_mode: 0o600 });
      const seen: string[] = [];
      const reply = await kernel.request("shell", "execute_request", { code: "x = 1", silent: false }, { onIopub: (m: Message) => seen.push(`${m.header.msg_type}:${m.content.text ?? m.content.execution_state}`) });
      expect(reply.header.msg_type).toBe("execute_reply");
      expect(reply.content).toEqual({ status: "ok", execution_count: 1 });
      expect(seen).toEqual(["status:busy", "stream:ran: x = 1 (SIGINTs so far: 0)\n", "status:idle"]);
      expect(kernel.badSignatures).toBe(1);

      kernel.interrupt();
      await new Promise((r) => setTimeout(r, 300));
      const second: string[] = [];
      await kernel.request("shell", "execute_request", { code: "y" }, { onIopub: (m: Message) => m.header.msg_type === "stream" && second.push(String(m.content.text)) });
      expect(second).toEqual(["ran: y (SIGINTs so far: 1)\n"]);
    } finally {
      await kernel.shutdown();
    }
    // It exited by itself on shutdown_request (status 0, not a signal), and its connection file is gone.
    expect(kernel.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(kernel.connectionDir)).toBe(false);
  }, 60_000);

  it("says what the kernel printed when it dies while starting", async () => {
    const dir = path.join(tmp, "kernels", "broken");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "kernel.json"), JSON.stringify({ argv: ["node", "-e", "console.error('cannot load the compiler'); process.exit(4)"], display_name: "Broken" }));
    await expect(startKernel({ kernelName: "broken", cwd: tmp, env: { ...process.env, JUPYTER_PATH: tmp } })).rejects.toThrow(
      "the kernel exited with status 4 while starting; it printed:\ncannot load the compiler",
    );
  }, 60_000);
});
