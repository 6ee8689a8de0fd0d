/**
 * How busy the whole machine was while a figure ran (every process, not just ours): the share of
 * CPU time not idle between two reads of /proc/stat's first line, and the 1-minute load average
 * at the end. A figure that misses its target on a busy machine says so with a number.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

export interface CpuSample {
  readonly busy: number;
  readonly total: number;
}

export interface MachineLoad {
  /** Non-idle CPU time over the figure, in % of all cores. */
  readonly busyPct: number;
  /** 1-minute load average at the end of the figure. */
  readonly loadAvg1: number;
  readonly cores: number;
}

/** Jiffies of the aggregate `cpu` line: busy = all but idle and iowait. Zeros where /proc is missing. */
export function cpuSample(stat = readProcStat()): CpuSample {
  const fields = /^cpu\s+(.*)$/m.exec(stat)?.[1].trim().split(/\s+/).map(Number) ?? [];
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

function readProcStat(): string {
  try {
    return readFileSync('/proc/stat', 'utf8');
  } catch {
    return '';
  }
}

export function loadBetween(before: CpuSample, after: CpuSample): MachineLoad {
  const total = after.total - before.total;
  const busyPct = total > 0 ? Math.round(((after.busy - before.busy) / total) * 1000) / 10 : NaN;
  return { busyPct, loadAvg1: Math.round(loadavg()[0] * 100) / 100, cores: cpus().length };
}
