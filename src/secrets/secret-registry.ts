/**
 * The process-wide registry of secret values (passwords, tokens, application credential secrets,
 * BMC passwords). Everything that leaves the process as text — logs, events, journal lines, error
 * messages, child process output — passes through {@link redact} or {@link redactDeep} first.
 *
 * Values are registered as soon as they are read (config loader, inventory loader, Keystone token
 * response), so a later error that happens to echo one is still cleaned.
 */

/** What a redacted value is replaced with. */
export const REDACTED = '***';

/** Shortest value registered: shorter strings would redact ordinary words. */
const MIN_SECRET_LENGTH = 4;

/** Object keys whose values are always secret, whatever they hold. */
const SENSITIVE_KEY =
  /^(password|passwd|secret|token|auth[_-]?token|x-auth-token|x-subject-token|authorization|application[_-]?credential[_-]?secret|.*[a-z](Password|Secret|Token))$/i;

/** Secret-shaped text that is redacted even if nobody registered it. */
const SECRET_PATTERNS: readonly RegExp[] = [
  // Keystone fernet tokens and similar long opaque tokens
  /\bgAAAAA[A-Za-z0-9_-]{40,}={0,2}/g,
  // header values
  /(x-(?:auth|subject)-token\s*[:=]\s*)("?)[^\s",}]+/gi,
  /(authorization\s*[:=]\s*(?:basic|bearer)\s+)[^\s",}]+/gi,
  // JSON/YAML password-like fields
  /(["']?(?:password|secret|application_credential_secret|token)["']?\s*[:=]\s*["'])[^"']+/gi,
];

export class SecretRegistry {
  readonly #values = new Set<string>();
  #sorted: string[] = [];

  /** Registers a secret value; empty and very short values are ignored. Returns the value. */
  add(value: string | undefined | null): string | undefined {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || this.#values.has(value))
      return value ?? undefined;
    this.#values.add(value);
    // longest first, so a secret containing another is replaced whole
    this.#sorted = [...this.#values].sort((a, b) => b.length - a.length);
    return value;
  }

  /** True if `text` contains a registered secret. */
  contains(text: string): boolean {
    return this.#sorted.some((secret) => text.includes(secret));
  }

  /** Number of registered secrets (for tests). */
  get size(): number {
    return this.#values.size;
  }

  /** Removes every registered value (tests only). */
  clear(): void {
    this.#values.clear();
    this.#sorted = [];
  }

  /** Replaces registered secrets and secret-shaped text in `text` with `***`. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.#sorted) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    for (const pattern of SECRET_PATTERNS) {
      out = out.replace(pattern, (_match, prefix?: string, quote?: string) =>
        typeof prefix === 'string' ? `${prefix}${typeof quote === 'string' ? quote : ''}${REDACTED}` : REDACTED,
      );
    }
    return out;
  }

  /**
   * A deep copy of `value` with every string redacted and every sensitive key's value replaced.
   * Errors become plain objects (`name`, `message`, `code`...); cycles become `"[circular]"`.
   */
  redactDeep<T>(value: T): T {
    return this.#deep(value, new WeakSet()) as T;
  }

  #deep(value: unknown, seen: WeakSet<object>): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (value === null || typeof value !== 'object') return value;
    if (seen.has(value)) return '[circular]';
    seen.add(value);
    if (Array.isArray(value)) return value.map((item) => this.#deep(item, seen));
    if (value instanceof Date) return value.toISOString();
    const source: Record<string, unknown> =
      value instanceof Error
        ? { name: value.name, message: value.message, ...(value as unknown as Record<string, unknown>) }
        : (value as Record<string, unknown>);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(source)) {
      if (SENSITIVE_KEY.test(key) && item !== null && item !== undefined && typeof item !== 'boolean') {
        out[key] = REDACTED;
      } else {
        out[key] = this.#deep(item, seen);
      }
    }
    return out;
  }
}

/** The registry the whole process shares. */
export const secrets = new SecretRegistry();

/** Shorthand for `secrets.redact`. */
export function redact(text: string): string {
  return secrets.redact(text);
}

/** Shorthand for `secrets.redactDeep`. */
export function redactDeep<T>(value: T): T {
  return secrets.redactDeep(value);
}
