/**
 * Exec-to-handshake time of the forcedown provider: what Terraform pays each time it starts the
 * provider (about four times per `terraform apply`). Spawns bin/terraform-provider-forcedown.js
 * (needs `npm run build`) as Terraform does — magic cookie, client certificate — and measures
 * until the handshake line arrives on stdout (`handshake`), and until the first answer to
 * GetProviderSchema over mutual TLS (`firstResponse`, what Terraform actually waits for); then
 * shuts the process down through plugin.GRPCController/Shutdown.
 *
 *   node --import tsx bench/provider-startup.ts [runs]      (default 20)
 *
 * Prints one JSON object with min/median/p90/max (milliseconds) of both, and the Node version.
 * With BENCH_RESULTS=path it also writes the JSON there.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPlugin } from '../test/unit/provider/support/plugin-client.js';

const entry = join(import.meta.dirname, '..', 'bin', 'terraform-provider-forcedown.js');
const runs = Number(process.argv[2] ?? 20);

async function measure(): Promise<{ handshake: number; firstResponse: number }> {
  const started = performance.now();
  const plugin = await startPlugin(process.execPath, [entry]);
  const handshake = performance.now() - started;
  await plugin.call('GetProviderSchema');
  const firstResponse = performance.now() - started;
  await plugin.shutdown();
  return { handshake, firstResponse };
}

function stats(values: number[]): Record<string, number> {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number =>
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN) * 10) / 10;
  return { min: at(0), median: at(0.5), p90: at(0.9), max: at(1) };
}

await measure(); // warm the compile cache and the file system cache
const samples: { handshake: number; firstResponse: number }[] = [];
for (let i = 0; i < runs; i++) samples.push(await measure());
const result = {
  benchmark: 'provider-startup',
  unit: 'ms',
  runs,
  node: process.version,
  handshake: stats(samples.map((s) => s.handshake)),
  firstResponse: stats(samples.map((s) => s.firstResponse)),
};
console.log(JSON.stringify(result));
if (process.env.BENCH_RESULTS) writeFileSync(process.env.BENCH_RESULTS, `${JSON.stringify(result, null, 2)}\n`);
