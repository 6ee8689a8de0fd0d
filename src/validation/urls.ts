/** What validation knows about URLs without contacting them: credentials in them, loopback hosts. */
import { isIP } from 'node:net';
import { escapePointerSegment, type JsonDocument } from './json-document.js';
import type { Problem } from './problem.js';

/**
 * True when `text` holds a URL with a user or password in it: `scheme://user[:password]@host`
 * anywhere (a URL on its own, or inside an argument). Linear in the text's length (a regular
 * expression with a scheme before `://` backtracks quadratically on a megabyte of letters).
 */
export function hasUrlCredentials(text: string): boolean {
  for (let at = text.indexOf('://'); at !== -1; at = text.indexOf('://', at + 3)) {
    if (at === 0 || !/[a-z0-9+.-]/i.test(text[at - 1])) continue;
    // the authority ends at the first / ? # or white space: at the latest, at the next "://"
    for (let index = at + 3; index < text.length; index += 1) {
      const code = text.charCodeAt(index);
      if (code === 0x40 /* @ */) {
        if (index > at + 3) return true;
        break;
      }
      if (code === 0x2f || code === 0x3f || code === 0x23 || code <= 0x20) break;
    }
  }
  return false;
}

/** `localhost`, 127.0.0.0/8 or ::1 (the only hosts plain http may go to). */
export function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}

/**
 * A problem for every string of the document that holds a URL with credentials: they would be
 * stored in the journal and shown in logs and process listings.
 */
export function urlCredentialProblems(document: JsonDocument, file: string, hint: string): Problem[] {
  const problems: Problem[] = [];
  const stack: { value: unknown; pointer: string }[] = [{ value: document.value, pointer: '' }];
  while (stack.length > 0) {
    const { value, pointer } = stack.pop()!;
    if (typeof value === 'string') {
      if (hasUrlCredentials(value))
        problems.push({
          file,
          pointer,
          position: document.positions.get(pointer),
          message: `a URL with credentials in it (user:password@): they would end up in the journal, logs and process listings; ${hint}`,
        });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    const entries = Array.isArray(value)
      ? value.map((item, index) => [String(index), item] as const)
      : Object.entries(value);
    for (const [key, item] of entries) stack.push({ value: item, pointer: `${pointer}/${escapePointerSegment(key)}` });
  }
  return problems;
}
