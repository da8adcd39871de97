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
// uncaught EBUSY. Here a send goes out at once, as before, unless the socket
// is busy; then it waits for the send before it, and so does every send
// after it until that queue is empty, so the order is tslab's. (Queueing
// every send would hold back the output of a cell that prints and then
// computes without yielding until the cell ends.) test/executor.test.ts
// checks a burst of 3,000 lines. Every kernelspec of the course starts the
// kernel through this file.
"use strict";
const zmq = require("zeromq");

const send = zmq.Socket.prototype.send;
/** @typedef {{ last: Promise<void>, queued: number }} SendState the last send of a socket (settled when it is written; never rejects), and how many wait */
/** @type {WeakMap<object, SendState>} */
const states = new WeakMap();

/** @param {import("zeromq").Socket} socket @param {SendState} state @param {Promise<void>} sent */
function track(socket, state, sent) {
  // tslab never awaits a send: report a failed one rather than let its
  // unhandled rejection end the kernel.
  state.last = sent.catch((e) => {
    if (!socket.closed) process.stderr.write(`tslab kernel: a ZeroMQ send failed: ${e instanceof Error ? e.message : String(e)}\n`);
  });
  return sent;
}

/** @this {import("zeromq").Socket} @param {unknown[]} args */
function queuedSend(...args) {
  let state = states.get(this);
  if (!state) states.set(this, (state = { last: Promise.resolve(), queued: 0 }));
  if (state.queued === 0) {
    try {
      return track(this, state, send.apply(this, /** @type {any} */ (args)));
    } catch (e) {
      if (!(e instanceof Error && /** @type {NodeJS.ErrnoException} */ (e).code === "EBUSY")) throw e;
    }
  }
  const s = state;
  s.queued++;
  const sent = s.last.then(() => send.apply(this, /** @type {any} */ (args))).finally(() => { s.queued--; });
  return track(this, s, sent);
}
// The native prototype's send is read-only; the socket classes tslab uses
// get their own, which shadows it.
for (const Socket of [zmq.Publisher, zmq.Router, zmq.Reply]) {
  Object.defineProperty(Socket.prototype, "send", { value: queuedSend, writable: true, configurable: true });
}

// A publisher drops what exceeds its high-water mark (1,000 messages by
// default) while the client has not yet read it: the same burst lost lines
// in the middle of a cell's output. No limit on iopub; the client's
// subscriber has none either (tools/kernel/client.mjs).
const Publisher = zmq.Publisher;
zmq.Publisher = class UnlimitedPublisher extends Publisher {
  /** @param {ConstructorParameters<typeof Publisher>[0]} [options] */
  constructor(options) {
    super({ sendHighWaterMark: 0, ...options });
  }
};

require("tslab/dist/main.js").main();
