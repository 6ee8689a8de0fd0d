/**
 * What the watcher core consumes from the alert intake and the liveness probe (built on another
 * branch: src/watch/alert-intake.ts, src/watch/liveness-probe.ts). Both are optional and injected.
 */

/** A firing Alertmanager alert mapped to a Nova host. */
export interface AlertCandidate {
  readonly host: string;
  readonly fingerprint: string;
  readonly startsAt: string;
  readonly alertname?: string;
}

export interface AlertSource {
  /** firing alerts not yet resolved, by Nova host */
  firing(): readonly AlertCandidate[];
  close(): Promise<void>;
}

export type ProbeVerdict = 'answers' | 'silent' | 'not-configured';

export interface LivenessProbe {
  probe(host: string, signal: AbortSignal): Promise<ProbeVerdict>;
}
