// What the tools' command lines and reports share (the course runner, the
// student edition and the grader).
import { readFileSync } from "node:fs";

/**
 * Seconds as people read them: "4.2 s", "3 min 7 s".
 * @param {number} s
 */
export const formatSeconds = (s) => (s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);

/**
 * Text made safe inside HTML (element content and double-quoted attributes).
 * @param {unknown} s
 */
export const escapeHtml = (s) =>
  String(s).replace(/[&<>"]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;"));

/**
 * A tool's --help: the `//` comment lines of its file (each tool documents
 * its usage there, so the two cannot differ).
 * @param {string | URL} moduleUrl  the tool's import.meta.url
 */
export const helpText = (moduleUrl) =>
  readFileSync(new URL(moduleUrl), "utf8").split("\n").filter((l) => l.startsWith("//")).map((l) => l.slice(3)).join("\n");

/**
 * Whether node:util's parseArgs rejected the command line (an unknown
 * option, a missing value): a usage error, reported without a stack trace.
 * @param {unknown} e
 * @returns {e is Error & { code: string }}
 */
export const isParseArgsError = (e) => e instanceof Error && "code" in e && typeof e.code === "string" && e.code.startsWith("ERR_PARSE_ARGS");
