/**
 * Seeded randomness for the fuzz suite. Every case draws from its own generator, derived from the
 * run's seed, the target's name and the case index, so one case can be replayed alone
 * (FORCEDOWN_FUZZ_ONLY) without running the cases before it.
 */

/** FNV-1a, 32 bits. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A small deterministic generator (mulberry32) with the helpers the mutators need. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** The generator of one case. */
  static forCase(seed: string, target: string, index: number): Rng {
    return new Rng(hash32(`${seed}\u0000${target}\u0000${index}`));
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('rng.pick: empty list');
    return items[this.int(0, items.length - 1)];
  }

  /** One element, chosen with the given weights. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [item, weight] of items) {
      roll -= weight;
      if (roll < 0) return item;
    }
    return items[items.length - 1][0];
  }
}

/** The fuzz run's settings, from the environment. */
export interface FuzzSettings {
  /** FORCEDOWN_FUZZ_SEED (any text). */
  readonly seed: string;
  /** FORCEDOWN_FUZZ_CASES: total cases of the suite (split between the targets). */
  readonly cases: number;
  /** FORCEDOWN_FUZZ_ONLY=`target#index[,target#index...]`: replay these cases only. */
  readonly only: ReadonlyMap<string, ReadonlySet<number>> | undefined;
  /** FORCEDOWN_FUZZ_CASE_TIMEOUT_MS: per-command hang limit. */
  readonly caseTimeoutMs: number;
}

export const DEFAULT_SEED = 'forcedown-issue-7';
export const DEFAULT_CASES = 2100;

/** Reads the settings (throws on malformed values: a typo must not silently fuzz less). */
export function fuzzSettings(env: Readonly<Record<string, string | undefined>> = process.env): FuzzSettings {
  const seed = env.FORCEDOWN_FUZZ_SEED?.trim() || DEFAULT_SEED;
  const casesText = env.FORCEDOWN_FUZZ_CASES?.trim();
  const cases = casesText === undefined || casesText === '' ? DEFAULT_CASES : Number(casesText);
  if (!Number.isInteger(cases) || cases < 0)
    throw new Error(`FORCEDOWN_FUZZ_CASES must be a whole number, not "${casesText}"`);
  const timeoutText = env.FORCEDOWN_FUZZ_CASE_TIMEOUT_MS?.trim();
  const caseTimeoutMs = timeoutText === undefined || timeoutText === '' ? 30_000 : Number(timeoutText);
  if (!Number.isFinite(caseTimeoutMs) || caseTimeoutMs <= 0)
    throw new Error(`FORCEDOWN_FUZZ_CASE_TIMEOUT_MS must be a positive number, not "${timeoutText}"`);
  let only: Map<string, Set<number>> | undefined;
  const onlyText = env.FORCEDOWN_FUZZ_ONLY?.trim();
  if (onlyText) {
    only = new Map();
    for (const item of onlyText.split(',')) {
      const match = /^([a-z-]+)#(\d+)$/.exec(item.trim());
      if (!match) throw new Error(`FORCEDOWN_FUZZ_ONLY: "${item}" is not TARGET#INDEX (e.g. runbooks#17)`);
      const set = only.get(match[1]) ?? new Set<number>();
      set.add(Number(match[2]));
      only.set(match[1], set);
    }
  }
  return { seed, cases, only, caseTimeoutMs };
}

/**
 * The share of the total each target gets. With the default total (2100) every file target runs
 * at least the cases it ran before alert-intake joined (480, 240, 180, 300) and alert-intake 525.
 */
export const TARGET_SHARES: Readonly<Record<string, number>> = {
  runbooks: 0.3,
  inventories: 0.15,
  'desired-state': 0.1,
  'clouds-yaml': 0.2,
  'alert-intake': 0.25,
};

/** The case indexes a target runs: its share of the total, or the replayed ones. */
export function caseIndexes(settings: FuzzSettings, target: string): number[] {
  if (settings.only) return [...(settings.only.get(target) ?? [])].sort((a, b) => a - b);
  const count = Math.round(settings.cases * (TARGET_SHARES[target] ?? 0));
  return Array.from({ length: count }, (_, i) => i);
}
