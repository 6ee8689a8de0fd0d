import { performance } from 'node:perf_hooks';
import type { Lease } from 'etcd3';
import { refused, type ForcedownError } from '../errors/index.js';
import { coordinationError, type EtcdConnection } from './client.js';

/** How long before the lease could expire in etcd its holder is told it is lost. */
export function safetyMarginMs(ttlSeconds: number): number {
  return Math.min(1000, ttlSeconds * 100);
}

/**
 * An etcd lease kept alive by etcd3, with forcedown's own, conservative deadline on top: each
 * answered keepalive proves the lease valid until the moment that keepalive was *sent* plus the
 * TTL etcd answered with, and the lease is declared lost a safety margin (1 s at most) before that
 * instant. So when `signal` aborts, etcd may still hold the lease for a moment, but it never
 * expired earlier than the holder knew: nobody else can have taken what it guards while the
 * holder believed it held it. etcd3's own "lost" (after twice the TTL of silence, or when etcd
 * says the lease is gone) aborts it too. The abort reason is a `refused` error (exit 3).
 */
export class GuardedLease {
  readonly ttlSeconds: number;
  readonly lease: Lease;
  readonly id: string;
  readonly #controller = new AbortController();
  readonly #sent: number[] = [];
  #validUntil: number;
  #timer: NodeJS.Timeout | undefined;
  readonly #what: string;

  private constructor(lease: Lease, id: string, ttlSeconds: number, grantedAt: number, what: string) {
    this.lease = lease;
    this.id = id;
    this.ttlSeconds = ttlSeconds;
    this.#validUntil = grantedAt + ttlSeconds * 1000;
    this.#what = what;
    lease.on('keepaliveFired', () => this.#sent.push(performance.now()));
    lease.on('keepaliveEstablished', () => this.#sent.splice(0));
    lease.on('keepaliveSucceeded', (res) => this.#renewed(Number(res.TTL)));
    lease.on('lost', (error) => this.#lose(`etcd reports the lease gone (${error.message})`));
    this.#arm();
  }

  /** Grants a lease of `ttlSeconds` (refused, exit 3, when etcd cannot be reached or has no quorum). */
  static async grant(connection: EtcdConnection, ttlSeconds: number, what: string): Promise<GuardedLease> {
    const started = performance.now();
    const lease = connection.client.lease(ttlSeconds);
    lease.on('lost', () => undefined); // a failed grant also emits "lost"; grant() rejects with it
    let id: string;
    try {
      id = await lease.grant();
    } catch (error) {
      lease.release();
      throw coordinationError(error, `granting a lease for ${what}`, connection.settings);
    }
    return new GuardedLease(lease, id, ttlSeconds, started, what);
  }

  /** Aborts when the lease is (or may soon be) lost; `signal.reason` is a refused ForcedownError. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Lease id in hex (as etcdctl prints it). */
  get hexId(): string {
    return BigInt(this.id).toString(16);
  }

  /** Milliseconds left before this holder must consider the lease lost (0 once lost). */
  remainingMs(): number {
    if (this.signal.aborted) return 0;
    return Math.max(0, this.#validUntil - safetyMarginMs(this.ttlSeconds) - performance.now());
  }

  #renewed(ttl: number): void {
    const sentAt = this.#sent.shift();
    if (sentAt === undefined || this.signal.aborted) return;
    if (ttl <= 0) return this.#lose('etcd answered the keepalive with TTL 0 (the lease expired)');
    this.#validUntil = Math.max(this.#validUntil, sentAt + ttl * 1000);
    this.#arm();
  }

  #arm(): void {
    clearTimeout(this.#timer);
    const due = this.#validUntil - safetyMarginMs(this.ttlSeconds) - performance.now();
    this.#timer = setTimeout(
      () => {
        if (this.remainingMs() > 0) return this.#arm();
        this.#lose(`no keepalive answered for ${this.ttlSeconds} s (etcd unreachable or without quorum)`);
      },
      Math.max(0, due),
    );
    this.#timer.unref();
  }

  #lose(why: string): void {
    if (this.signal.aborted) return;
    clearTimeout(this.#timer);
    const reason: ForcedownError = refused(
      'COORDINATION_LEASE_LOST',
      `the etcd lease of ${this.#what} is lost: ${why}`,
      'another machine may now hold it. Stop before the next write; check etcd (`etcdctl endpoint health`), then `forcedown resume RUN-ID`',
      { leaseId: this.hexId, ttlSeconds: this.ttlSeconds },
    );
    this.#controller.abort(reason);
  }

  /** Revokes the lease (its keys go at once); best effort when etcd is unreachable. `signal` does not abort. */
  async revoke(): Promise<void> {
    clearTimeout(this.#timer);
    this.#sent.splice(0);
    await this.lease.revoke().catch(() => this.lease.release());
  }

  /** Stops keeping the lease alive without revoking it (its keys go after the TTL). */
  release(): void {
    clearTimeout(this.#timer);
    this.lease.release();
  }
}
