/**
 * Where Nova placed each evacuation trial of a results file, from the destination computes' own
 * logs (bench/lib/destinations.ts): per trial, evacuations per destination, the busiest
 * destination's claim span (its claims run one at a time) and the wall time the bench measured.
 *
 *   tsx bench/destinations.ts bench/results/latest.json [--logs /tmp/forcedown-testbed/log] [--since ISO]
 *
 * The trials of the file (evacuation figure, then the sweep) are matched in order to the bursts
 * of evacuations the computes logged after --since (the run's start), each burst checked to
 * carry as many instances as the trial had servers. Prints a table; --json prints the records.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bursts, parseComputeLog, spreadOf, type DestinationSpread } from './lib/destinations.js';
import type { EvacuationTrial } from './evacuation.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { logs: { type: 'string' }, since: { type: 'string' }, json: { type: 'boolean' } },
});
const file = positionals[0] ?? 'bench/results/latest.json';
const report = JSON.parse(readFileSync(file, 'utf8')) as {
  date: string;
  durationS?: number;
  figures: {
    evacuation?: { trials: EvacuationTrial[] };
    sweep?: { trials: EvacuationTrial[] };
  };
};
const logs = values.logs ?? '/tmp/forcedown-testbed/log';
const since = Date.parse(
  values.since ?? new Date(Date.parse(report.date) - (report.durationS ?? 0) * 1000).toISOString(),
);
const evacuations = readdirSync(logs)
  .filter((name) => /^nova-compute-.+\.log$/.test(name))
  .flatMap((name) =>
    parseComputeLog(name.replace(/^nova-compute-|\.log$/g, ''), readFileSync(join(logs, name), 'utf8')),
  )
  .filter((e) => e.arrivedAt >= since)
  .sort((a, b) => a.arrivedAt - b.arrivedAt);
const groups = bursts(evacuations, 12_000);
const trials = [
  ...(report.figures.evacuation?.trials ?? []).map((t) => ({ figure: 'evacuation', ...t })),
  ...(report.figures.sweep?.trials ?? []).map((t) => ({ figure: 'sweep', ...t })),
];
const rows: { figure: string; trial: EvacuationTrial; spread: DestinationSpread }[] = [];
let next = 0;
for (const trial of trials) {
  // a burst with as many instances as the trial had servers (others: another figure's, or a boot)
  while (next < groups.length && new Set(groups[next].map((e) => e.instance)).size !== trial.servers) next += 1;
  if (next >= groups.length) {
    process.stderr.write(`no burst of ${trial.servers} evacuations left for ${trial.figure} ${trial.strategy}\n`);
    break;
  }
  rows.push({ figure: trial.figure, trial, spread: spreadOf(groups[next]) });
  next += 1;
}
if (values.json === true) {
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
} else {
  process.stdout.write(
    '| figure | strategy | N | round | wall | per destination | busiest | busiest claim span | first arrival → last claim |\n|---|---|---|---|---|---|---|---|---|\n',
  );
  for (const { figure, trial: t, spread: s } of rows) {
    const name = t.concurrency === undefined ? t.strategy : `${t.strategy} c=${t.concurrency}`;
    const hosts = Object.entries(s.perHost)
      .sort()
      .map(([h, n]) => `${h} ${n}`)
      .join(', ');
    process.stdout.write(
      `| ${figure} | ${name} | ${t.servers} | ${t.round} | ${(t.wallMs / 1000).toFixed(1)} s | ${hosts} | ${s.busiest} | ${(s.busiestClaimSpanMs / 1000).toFixed(1)} s | ${(s.arrivalToLastClaimMs / 1000).toFixed(1)} s |\n`,
    );
  }
}
