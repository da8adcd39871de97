#!/usr/bin/env node
// Starts tslab's Jupyter kernel, as node_modules/tslab/bin/tslab does, with
// one repair: every ZeroMQ socket's sends go through a queue.
//
// Why: tslab sends its messages (outputs, busy/idle status) without waiting
// for the previous send of the same socket, and zeromq 6 refuses a send while
// one is still pending ("Socket is busy writing", EBUSY). A send stays pending
// once 512 have completed synchronously in a row, so a cell that prints more
// than about 500 lines at once, or a busy machine, lost the rest of the
// cell's output and the kernel's idle status, or killed the kernel with an
// uncaught EBUSY. Queued, each send starts when the one before it is done, in
// the order tslab made them. test/executor.test.ts checks a burst of 3,000
// lines. Every kernelspec of the course starts the kernel through this file.
"use strict";
const zmq = require("zeromq");

const send = zmq.Socket.prototype.send;
/** @type {WeakMap<object, Promise<void>>} the last queued send of each socket */
const last = new WeakMap();
/** @this {import("zeromq").Socket} @param {unknown[]} args */
function queuedSend(...args) {
  const previous = last.get(this) ?? Promise.resolve();
  const done = previous.then(() => send.apply(this, /** @type {any} */ (args)));
  // tslab never awaits a send: report a failed one rather than let its
  // unhandled rejection end the kernel, and keep the queue going after it.
  last.set(this, done.catch((e) => {
    if (!this.closed) process.stderr.write(`tslab kernel: a ZeroMQ send failed: ${e instanceof Error ? e.message : String(e)}\n`);
  }));
  return done;
}
// The native prototype's send is read-only; the socket classes tslab uses
// get their own, which shadows it.
for (const Socket of [zmq.Publisher, zmq.Router, zmq.Reply]) {
  Object.defineProperty(Socket.prototype, "send", { value: queuedSend, writable: true, configurable: true });
}

require("tslab/dist/main.js").main();
