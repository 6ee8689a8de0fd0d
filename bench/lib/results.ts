/**
 * What every benchmark result carries (machine, Node, Nova, date), summary statistics, and
 * writing the results: `bench/results/<timestamp>.json`, `latest.json` and `latest.md`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, platform, arch } from 'node:os';
import { join } from 'node:path';
import type { Figures } from './table.js';
import type { MachineLoad } from './load.js';

export const benchRoot = join(import.meta.dirname, '..');
export const repoRoot = join(benchRoot, '..');

/** min / median / max (and every sample) of a series. */
export interface Stats {
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly samples: readonly number[];
}

const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

export function stats(values: readonly number[], digits = 1): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n === 0 ? NaN : n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return {
    n,
    min: round(sorted[0] ?? NaN, digits),
    median: round(median, digits),
    max: round(sorted[n - 1] ?? NaN, digits),
    samples: values.map((v) => round(v, digits)),
  };
}

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly platform: string;
  readonly node: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    kernel: release(),
    platform: `${platform()}-${arch()}`,
    node: process.version,
  };
}

/**
 * `nova-manage --version` of the Nova under test: the given nova-manage (the testbed's wrapper),
 * else one on PATH; null when there is none. Only its last line counts (eventlet warns first).
 */
export function novaManageVersion(candidates: readonly string[] = []): string | null {
  for (const command of [...candidates, 'nova-manage']) {
    try {
      const out = execFileSync(command, ['--version'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      }).trim();
      const version = out.split('\n').pop()?.trim();
      if (version) return version;
    } catch {
      // not there: the next one
    }
  }
  return null;
}

/** The compute API's version document (`GET /v2.1/`, no token needed): its min and max microversion. */
export async function novaApiVersions(
  computeUrl: string,
): Promise<{ minMicroversion: string; maxMicroversion: string } | null> {
  try {
    const response = await fetch(computeUrl.replace(/\/?$/, '/'), { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { version?: { version?: string; min_version?: string } };
    return body.version?.version
      ? { minMicroversion: body.version.min_version ?? '', maxMicroversion: body.version.version }
      : null;
  } catch {
    return null;
  }
}

/** One row of the Markdown table. */
export interface TableRow {
  readonly figure: string;
  readonly value: string;
  readonly target: string;
  /** true met, false missed, null no target. */
  readonly met: boolean | null;
}

export interface BenchReport {
  readonly benchmark: 'forcedown';
  readonly date: string;
  readonly mode: 'full' | 'smoke';
  readonly machine: MachineInfo;
  readonly nova: {
    readonly manageVersion: string | null;
    readonly minMicroversion: string | null;
    readonly maxMicroversion: string | null;
    readonly where: string;
  } | null;
  /** Seconds of the run; null for a merged view (see `sources`). */
  readonly durationS: number | null;
  /** How busy the whole machine was during each figure (absent in results before 2026-12-03). */
  readonly load?: Readonly<Record<string, MachineLoad>>;
  /** A merged view (latest.json): the results file each figure was taken from. */
  readonly sources?: Readonly<Record<string, string>>;
  readonly figures: Figures & Record<string, unknown>;
  readonly table: readonly TableRow[];
  readonly problems: readonly string[];
}

export function markdown(report: BenchReport): string {
  const m = report.machine;
  const nova = report.nova
    ? `Nova ${report.nova.manageVersion ?? '?'} (API microversions ${report.nova.minMicroversion ?? '?'}–${report.nova.maxMicroversion ?? '?'}, ${report.nova.where})`
    : 'no real Nova (API double only)';
  const lines = [
    `forcedown benchmarks, ${report.date.slice(0, 10)} — ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}; ${nova}.`,
    '',
    '| figure | measured | target | |',
    '|---|---|---|---|',
    ...report.table.map(
      (row) =>
        `| ${row.figure} | ${row.value} | ${row.target} | ${row.met === null ? '' : row.met ? 'met' : '**missed**'} |`,
    ),
    '',
  ];
  if (report.problems.length > 0)
    lines.push('Problems during the run:', '', ...report.problems.map((p) => `- ${p}`), '');
  lines.push(sourcesLine(report), '');
  return lines.join('\n');
}

/** How long the run took, or (a merged view) which results file each figure comes from. */
function sourcesLine(report: BenchReport): string {
  const tail = 'Raw figures: `latest.json`; what they mean: `bench/README.md`.';
  if (report.sources === undefined || report.durationS !== null)
    return `\`npm run bench${report.mode === 'smoke' ? ' -- --smoke' : ''}\` took ${Math.round(report.durationS ?? 0)} s. ${tail}`;
  const byFile = new Map<string, string[]>();
  for (const [figure, file] of Object.entries(report.sources)) byFile.set(file, [...(byFile.get(file) ?? []), figure]);
  const parts = [...byFile.entries()].map(([file, figures]) => `${figures.join(', ')} from \`${file}\``);
  return `Merged from two runs: ${parts.join('; ')}. ${tail}`;
}

/** Writes `<dir>/<timestamp>.json`, `<dir>/latest.json` and `<dir>/latest.md`; returns the paths. */
export function writeReport(dir: string, report: BenchReport): string[] {
  mkdirSync(dir, { recursive: true });
  const stamp = report.date.replace(/[:.]/g, '-');
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const paths = [join(dir, `${stamp}.json`), join(dir, 'latest.json'), join(dir, 'latest.md')];
  writeFileSync(paths[0], json);
  writeFileSync(paths[1], json);
  writeFileSync(paths[2], markdown(report));
  return paths;
}

export const fmtS = (ms: number, digits = 2): string => `${(ms / 1000).toFixed(digits)} s`;
export const fmtMs = (ms: number): string => `${Math.round(ms)} ms`;
