/**
 * Choosing the TensorFlow.js backend that runs the heavy matrix products.
 *
 * Preference order: `tensorflow` (native, from the optional package
 * `@tensorflow/tfjs-node`, when it installed and loads), then `wasm`
 * (XNNPACK, fast and installable everywhere), then `cpu` (plain JavaScript).
 * The environment variable `RNN_COURSE_BACKEND` forces one of them.
 */
import * as tf from "@tensorflow/tfjs";

export type BackendName = "tensorflow" | "wasm" | "cpu";

export const BACKEND_ENV_VAR = "RNN_COURSE_BACKEND";

const PREFERENCE: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];

export interface BackendInfo {
  /** The backend that is active now. */
  name: BackendName;
  /** Why this one: forced by the environment, or the first that loaded. */
  reason: string;
  /** Backends that were tried before it and why each was passed over. */
  skipped: { name: BackendName; why: string }[];
  tfjsVersion: string;
}

/** Whether `s` names a backend the course can start (e.g. what `tf.getBackend()` returned). */
export function isBackendName(s: string): s is BackendName {
  return (PREFERENCE as readonly string[]).includes(s);
}

/** Loads the package that registers a backend; returns an error message, or null on success. */
function register(name: BackendName): string | null {
  try {
    if (name === "tensorflow") require("@tensorflow/tfjs-node");
    if (name === "wasm") require("@tensorflow/tfjs-backend-wasm");
    return null;
  } catch (e) {
    const first = String((e as Error).message ?? e).split("\n")[0];
    return `could not load its package (${first})`;
  }
}

async function activate(name: BackendName): Promise<string | null> {
  const loadError = register(name);
  if (loadError) return loadError;
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return "tf.setBackend refused it";
    await tf.ready();
    return null;
  } catch (e) {
    return `failed to initialise (${(e as Error).message})`;
  }
}

let current: BackendInfo | null = null;

/**
 * Activates the fastest backend available (or the one forced by
 * `RNN_COURSE_BACKEND`, or by `preferred`) and reports which one runs.
 * Calling it again with the same request returns the cached answer.
 * Used in lessons 00, 01, 02, 03, 04, 05, 06, 07, 08, 09, 10 and 11.
 */
export async function initBackend(preferred?: BackendName): Promise<BackendInfo> {
  const forced = preferred ?? process.env[BACKEND_ENV_VAR];
  if (forced !== undefined && forced !== "") {
    if (!isBackendName(forced)) {
      throw new Error(
        `${BACKEND_ENV_VAR}=${forced} is not a backend; use one of ${PREFERENCE.join(", ")}`,
      );
    }
    if (current?.name === forced) return current;
    const error = await activate(forced);
    if (error) throw new Error(`backend '${forced}' was requested but ${error}`);
    current = {
      name: forced,
      reason: preferred ? "requested by the caller" : `forced by ${BACKEND_ENV_VAR}`,
      skipped: [],
      tfjsVersion: tf.version.tfjs,
    };
    return current;
  }
  if (current) return current;
  const skipped: BackendInfo["skipped"] = [];
  for (const name of PREFERENCE) {
    const error = await activate(name);
    if (!error) {
      current = { name, reason: "the fastest that loaded", skipped, tfjsVersion: tf.version.tfjs };
      return current;
    }
    skipped.push({ name, why: error });
  }
  throw new Error(`no TensorFlow.js backend could start: ${skipped.map((s) => `${s.name}: ${s.why}`).join("; ")}`);
}

/**
 * One line for a notebook: which backend runs, and why.
 * Used in lessons 00, 01, 02, 03, 04, 05, 06, 07, 08, 09, 10 and 11.
 */
export function describeBackend(info: BackendInfo): string {
  const skipped = info.skipped.map((s) => `${s.name} skipped: ${s.why}`).join("; ");
  return `TensorFlow.js ${info.tfjsVersion} on the '${info.name}' backend (${info.reason})` +
    (skipped ? `. ${skipped}` : "");
}
