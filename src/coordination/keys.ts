/**
 * forcedown's key layout in etcd, one place for it (README "Coordination (etcd)"):
 *
 *   <prefix>/<region>/hosts/<host>                 a run's lock of a host (value: LockHolder JSON, on the run's lease)
 *   <prefix>/<region>/runs/<run-id>/meta           what `runs --all-machines` lists (runbook, hosts, machine, status)
 *   <prefix>/<region>/runs/<run-id>/events/<seq>   one journal event per key while the run goes on (seq: 10 digits)
 *   <prefix>/<region>/runs/<run-id>/summary        the events compacted into one value when the run ends
 *   <prefix>/<region>/election/<lease-id hex>      one key per watcher campaigning; the oldest is the leader
 */
export class KeyLayout {
  readonly base: string;

  constructor(prefix: string, region: string) {
    this.base = `${prefix.replace(/\/+$/, '')}/${region}`;
  }

  get hostsPrefix(): string {
    return `${this.base}/hosts/`;
  }
  host(host: string): string {
    return `${this.hostsPrefix}${encodeURIComponent(host)}`;
  }
  get runsPrefix(): string {
    return `${this.base}/runs/`;
  }
  run(runId: string): string {
    return `${this.runsPrefix}${encodeURIComponent(runId)}/`;
  }
  runMeta(runId: string): string {
    return `${this.run(runId)}meta`;
  }
  runSummary(runId: string): string {
    return `${this.run(runId)}summary`;
  }
  runEventsPrefix(runId: string): string {
    return `${this.run(runId)}events/`;
  }
  runEvent(runId: string, seq: number): string {
    return `${this.runEventsPrefix(runId)}${String(seq).padStart(10, '0')}`;
  }
  get electionPrefix(): string {
    return `${this.base}/election/`;
  }
}
