/**
 * Where Nova sent each evacuation, from the destination computes' own logs: nova-compute logs
 * `Evacuating instance` when a rebuild request reaches it and `Claim successful on node X` once
 * its resource tracker (one lock per compute) has claimed the instance. Claims on one compute run
 * one at a time, so the busiest destination's claim span bounds the whole evacuation from below.
 */

/** One evacuation as a destination compute logged it (local ms, UTC on the testbed). */
export interface ComputeEvacuation {
  readonly host: string;
  readonly instance: string;
  readonly arrivedAt: number;
  readonly claimedAt: number | undefined;
}

const LINE =
  /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) .*\[instance: ([0-9a-f-]{36})\] (Evacuating instance|Claim successful on node)/;

/** Parses one nova-compute log (of `host`) into its evacuations, in arrival order. */
export function parseComputeLog(host: string, text: string): ComputeEvacuation[] {
  const byInstance = new Map<string, { arrivedAt: number; claimedAt: number | undefined }[]>();
  for (const line of text.split('\n')) {
    const match = LINE.exec(line);
    if (!match) continue;
    const at = new Date(`${match[1].replace(' ', 'T')}Z`).getTime();
    const list = byInstance.get(match[2]) ?? [];
    if (match[3] === 'Evacuating instance') list.push({ arrivedAt: at, claimedAt: undefined });
    else if (list.length > 0 && list[list.length - 1].claimedAt === undefined) list[list.length - 1].claimedAt = at;
    byInstance.set(match[2], list);
  }
  return [...byInstance.entries()]
    .flatMap(([instance, list]) => list.map((e) => ({ host, instance, ...e })))
    .sort((a, b) => a.arrivedAt - b.arrivedAt);
}

/** How one trial's evacuations were spread over the destinations. */
export interface DestinationSpread {
  /** Evacuations per destination compute. */
  readonly perHost: Readonly<Record<string, number>>;
  /** The most any one destination took. */
  readonly busiest: number;
  /** The busiest destination's first → last claim (ms): its claims run one at a time. */
  readonly busiestClaimSpanMs: number;
  /** First request reaching a compute → last claim anywhere (ms). */
  readonly arrivalToLastClaimMs: number;
}

/** The spread of `evacuations` (one trial's). */
export function spreadOf(evacuations: readonly ComputeEvacuation[]): DestinationSpread {
  const perHost: Record<string, number> = {};
  for (const e of evacuations) perHost[e.host] = (perHost[e.host] ?? 0) + 1;
  const busiestHost = Object.entries(perHost).sort((a, b) => b[1] - a[1])[0]?.[0];
  const claims = (list: readonly ComputeEvacuation[]): number[] =>
    list.flatMap((e) => (e.claimedAt === undefined ? [] : [e.claimedAt]));
  const busiestClaims = claims(evacuations.filter((e) => e.host === busiestHost));
  const allClaims = claims(evacuations);
  return {
    perHost,
    busiest: busiestHost === undefined ? 0 : perHost[busiestHost],
    busiestClaimSpanMs: busiestClaims.length > 1 ? Math.max(...busiestClaims) - Math.min(...busiestClaims) : 0,
    arrivalToLastClaimMs:
      allClaims.length > 0 ? Math.max(...allClaims) - Math.min(...evacuations.map((e) => e.arrivedAt)) : 0,
  };
}

/** Splits evacuations (sorted by arrival) into bursts separated by more than `gapMs` of silence. */
export function bursts(evacuations: readonly ComputeEvacuation[], gapMs: number): ComputeEvacuation[][] {
  const out: ComputeEvacuation[][] = [];
  for (const e of evacuations) {
    const last = out[out.length - 1];
    if (last !== undefined && e.arrivedAt - last[last.length - 1].arrivedAt <= gapMs) last.push(e);
    else out.push([e]);
  }
  return out;
}
