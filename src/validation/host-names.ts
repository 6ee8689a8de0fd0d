/**
 * Host names as operators type them: `cmp-07` for Nova's `cmp-07.example.net` and the other way
 * round. One rule for every lookup (Nova's compute services, inventories, the provider):
 *
 * 1. an exact match wins;
 * 2. else one that differs only in case;
 * 3. else one where either name is the other followed by more DNS labels
 *    (`cmp-07` ~ `cmp-07.example.net`, `cmp-07.dc1` ~ `cmp-07.dc1.example.net`).
 *
 * Within the first rule that matches anything, more than one match is ambiguous: the caller
 * refuses and lists the candidates, never picks one.
 */

/** What {@link matchHostName} found. */
export type HostNameMatch =
  | { readonly kind: 'found'; readonly name: string; readonly exact: boolean }
  | { readonly kind: 'ambiguous'; readonly candidates: readonly string[] }
  | { readonly kind: 'none' };

const sameIgnoringCase = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** One name is the other plus more labels (`a` ~ `a.b.c`), ignoring case. */
function labelPrefix(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a.toLowerCase(), b.toLowerCase()] : [b.toLowerCase(), a.toLowerCase()];
  return short !== '' && long.length > short.length && long.startsWith(short) && long[short.length] === '.';
}

/** Finds `input` among `candidates` by the rules above. */
export function matchHostName(input: string, candidates: Iterable<string>): HostNameMatch {
  const list = [...new Set(candidates)];
  if (list.includes(input)) return { kind: 'found', name: input, exact: true };
  for (const rule of [sameIgnoringCase, labelPrefix]) {
    const found = list.filter((candidate) => rule(input, candidate)).sort();
    if (found.length === 1) return { kind: 'found', name: found[0], exact: false };
    if (found.length > 1) return { kind: 'ambiguous', candidates: found };
  }
  return { kind: 'none' };
}
