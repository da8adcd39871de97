/**
 * Every place the library relies on another package's private internals, with
 * the version each was checked against. Those packages are pinned to exactly
 * these versions (lib/package.json, package.json), and test/private-apis.test.ts
 * probes every member listed here, so an upgrade that moves one fails a test
 * instead of silently taking a slower or broken path.
 */
export interface PrivateTouchPoint {
  /** The npm package whose internals we use. */
  package: string;
  /** The version every member below was checked against. */
  checkedVersion: string;
  /** Where the members live: "backend" for the active TensorFlow.js backend object, else a module path to require. */
  on: "wasm backend" | string;
  /** Property paths that must exist there (dotted). */
  members: readonly string[];
  /** The file that uses them, and what for. */
  usedIn: string;
}

export const PRIVATE_TOUCH_POINTS: readonly PrivateTouchPoint[] = [
  {
    package: "@tensorflow/tfjs-backend-wasm",
    checkedVersion: "4.22.0",
    on: "wasm backend",
    members: [
      "wasm._BatchMatMul", "wasm._Transpose", "wasm._malloc", "wasm._free", "wasm.HEAPF32", "wasm.HEAP32",
      "wasm.tfjs.registerTensor", "wasm.tfjs.disposeData", "dataIdMap.get",
    ],
    usedIn: "lib/src/nn/compute/wasmCalls.ts: products straight into XNNPACK (falls back to tf.matMul when a member is missing)",
  },
  {
    package: "tslab",
    checkedVersion: "1.0.22",
    on: "tslab/dist/jupyter",
    members: ["lastWriteDisplayData"],
    usedIn: "lib/src/plot/display.ts: sends a whole MIME bundle (figures, claims) in one display message",
  },
];
