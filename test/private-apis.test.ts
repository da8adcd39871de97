// The library's uses of other packages' private internals (lib/src/privateApis.ts):
// each package is pinned to the version its members were checked against, and
// every member is still there. An upgrade that moves one fails here.
import { describe, it, expect, beforeAll } from "vitest";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { PRIVATE_TOUCH_POINTS, initBackend } from "../lib/src";

const require = createRequire(__filename);
const manifest = (file: string) => JSON.parse(readFileSync(path.join(__dirname, file), "utf8")) as Record<string, Record<string, string> | undefined>;

/** The value at a dotted property path, or undefined where the path breaks. */
function at(root: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((o, key) => (o !== null && typeof o === "object" && key in o ? (o as Record<string, unknown>)[key] : undefined), root);
}

describe("private touch points", () => {
  beforeAll(async () => {
    await initBackend("wasm");
  });

  for (const point of PRIVATE_TOUCH_POINTS) {
    it(`${point.package}: pinned to ${point.checkedVersion}, installed at it`, () => {
      const pins = [manifest("../package.json"), manifest("../lib/package.json")]
        .flatMap((m) => [m.dependencies, m.devDependencies, m.peerDependencies])
        .map((deps) => deps?.[point.package])
        .filter((v): v is string => v !== undefined);
      expect(pins.length).toBeGreaterThan(0);
      for (const range of pins) expect(range).toBe(point.checkedVersion); // exact: no ^ or ~
      expect((require(`${point.package}/package.json`) as { version: string }).version).toBe(point.checkedVersion);
    });

    it(`${point.package}: every member used by ${point.usedIn.split(":")[0]} is there`, () => {
      const root: unknown = point.on === "wasm backend" ? tf.backend() : require(point.on);
      if (point.on === "wasm backend") expect(tf.getBackend()).toBe("wasm");
      const missing = point.members.filter((m) => {
        const parent = at(root, m.split(".").slice(0, -1).join(".") || ".");
        const owner = m.includes(".") ? parent : root;
        return owner === undefined || owner === null || !(m.split(".").pop()! in (owner as object));
      });
      expect(missing).toEqual([]);
    });
  }

  it("probes what it lists: a made-up member is reported missing", () => {
    expect(at({ a: { b: 1 } }, "a.b")).toBe(1);
    expect(at({ a: { b: 1 } }, "a.c")).toBeUndefined();
    expect(at(tf.backend(), "wasm._NoSuchKernel")).toBeUndefined();
  });
});
