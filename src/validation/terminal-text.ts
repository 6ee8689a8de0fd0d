/**
 * Text that came from an input file (keys, values, names echoed in messages, step titles) must
 * not reach a terminal as it is: C0 controls except tab and line feed (ESC starts escape
 * sequences that recolour, move the cursor or set the window title; CR overwrites the line), DEL,
 * C1 controls, and the bidirectional overrides and isolates that make text read differently from
 * what it is.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_FOR_TERMINAL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Writes such characters as `\uXXXX`. Inside JSON text that is the same string (a valid escape),
 * so JSON output stays parseable and means the same.
 */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE_FOR_TERMINAL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
