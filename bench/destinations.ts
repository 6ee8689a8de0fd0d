/**
 * Where Nova placed each evacuation trial of a bench run, from the destination computes' own
 * logs (bench/lib/destinations.ts): per trial, evacuations per destination, the busiest
 * destination's claim span (its claims run one at a time) and the wall time the bench measured.
 *
 *   tsx bench/destinations.ts --bench-log /tmp/bench.log --started 2026-12-02T20:27:37Z [--logs /tmp/forcedown-testbed/log] [--json]
 *
 * --bench-log is what `npm run bench` printed on stderr: each trial's line ("evacuation round
 * 1/2, N=10, forcedown: 9.60 s" or "sweep round ..., concurrency 5: ...") comes after the trial
 * and its restore, so a trial's evacuations are the ones the computes logged between the line
 * before it and its own. --started is when the bench process started (`ps -o lstart`), which the
 * lines count their seconds from; seconds of slack do not matter (trials are tens of seconds apart).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseComputeLog, spreadOf, type DestinationSpread } from './lib/destinations.js';

const { values } = parseArgs({
  options: {
    'bench-log': { type: 'string' },
    started: { type: 'string' },
    logs: { type: 'string' },
    json: { type: 'boolean' },
  },
});
if (values['bench-log'] === undefined || values.started === undefined) {
  process.stderr.write('usage: tsx bench/destinations.ts --bench-log FILE --started ISO [--logs DIR] [--json]\n');
  process.exit(2);
}
const started = Date.parse(values.started);
const logs = values.logs ?? '/tmp/forcedown-testbed/log';
const evacuations = readdirSync(logs)
  .filter((name) => /^nova-compute-.+\.log$/.test(name))
  .flatMap((name) =>
    parseComputeLog(name.replace(/^nova-compute-|\.log$/g, ''), readFileSync(join(logs, name), 'utf8')),
  )
  .filter((e) => e.arrivedAt >= started);

interface Trial {
  readonly figure: string;
  readonly name: string;
  readonly servers: number;
  readonly round: number;
  readonly wall: string;
  readonly from: number;
  readonly to: number;
}
const LINE =
  /^bench \[ *(\d+) s\] (evacuation|sweep) round (\d+)\/\d+, N=(\d+), (?:concurrency (\d+)|([a-z-]+)): (FAILED.*|[\d.]+ s)/;
const trials: Trial[] = [];
let previous = started;
for (const line of readFileSync(values['bench-log'], 'utf8').split('\n')) {
  const at = /^bench \[ *(\d+) s\]/.exec(line);
  const match = LINE.exec(line);
  if (match) {
    const to = started + Number(match[1]) * 1000;
    trials.push({
      figure: match[2],
      name: match[5] === undefined ? match[6] : `forcedown c=${match[5]}`,
      servers: Number(match[4]),
      round: Number(match[3]),
      wall: match[7].startsWith('FAILED') ? 'failed' : match[7],
      from: previous,
      to,
    });
  }
  if (at) previous = started + Number(at[1]) * 1000;
}
const rows: { trial: Trial; spread: DestinationSpread; instances: number }[] = trials.map((trial) => {
  const mine = evacuations.filter((e) => e.arrivedAt > trial.from && e.arrivedAt <= trial.to);
  return { trial, spread: spreadOf(mine), instances: new Set(mine.map((e) => e.instance)).size };
});
if (values.json === true) {
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
} else {
  process.stdout.write(
    '| figure | strategy | N | round | wall | servers that reached a compute | per destination | busiest | busiest claim span |\n|---|---|---|---|---|---|---|---|---|\n',
  );
  for (const { trial: t, spread: s, instances } of rows) {
    const hosts = Object.entries(s.perHost)
      .sort()
      .map(([h, n]) => `${h} ${n}`)
      .join(', ');
    process.stdout.write(
      `| ${t.figure} | ${t.name} | ${t.servers} | ${t.round} | ${t.wall} | ${instances} | ${hosts} | ${s.busiest} | ${(s.busiestClaimSpanMs / 1000).toFixed(1)} s |\n`,
    );
  }
}
