/**
 * Argument checks shared by the tokenizers and the vocabulary. Text reaches
 * them from notebooks, where a missing cell output or a wrong variable passes
 * `undefined`, a number or a bare string where tokens belong; these checks
 * name the function and what it got instead of failing deep inside a regex
 * or, worse, iterating a string character by character.
 */

/** A value as an error message shows it: its type, and a short preview of its content. */
export function describeValue(v: unknown): string {
  if (v === undefined || v === null) return String(v);
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return `the ${typeof v} ${String(v)}`;
  if (typeof v === "function") return "a function";
  if (Array.isArray(v)) return `an array of ${v.length} element${v.length === 1 ? "" : "s"}`;
  const name = (v as { constructor?: { name?: string } }).constructor?.name;
  return name && name !== "Object" ? `a ${name}` : "an object";
}

/** Throws unless `text` is a string, naming the function and what it got. */
export function expectText(fn: string, text: unknown): asserts text is string {
  if (typeof text !== "string") throw new TypeError(`${fn}: text must be a string, got ${describeValue(text)}`);
}

/**
 * Throws unless `tokens` is an array of strings. A bare string is refused
 * too: spreading it would silently turn it into its characters.
 */
export function expectTokens(fn: string, argument: string, tokens: unknown): asserts tokens is readonly string[] {
  if (!Array.isArray(tokens)) {
    const hint = typeof tokens === "string" ? " (tokenize the text first, e.g. tokenizeWords(text))" : "";
    throw new TypeError(`${fn}: ${argument} must be an array of token strings, got ${describeValue(tokens)}${hint}`);
  }
  for (let i = 0; i < tokens.length; i++) {
    if (typeof tokens[i] !== "string") throw new TypeError(`${fn}: ${argument}[${i}] must be a token string, got ${describeValue(tokens[i])}`);
  }
}
