/**
 * Exec-to-handshake time of the forcedown provider: what Terraform pays each time it starts the
 * provider (about four times per `terraform apply`). Spawns bin/terraform-provider-forcedown.js
 * (needs `npm run build`) as Terraform does — magic cookie, client certificate — and measures
 * until the handshake line arrives on stdout; then shuts the process down with SIGTERM.
 *
 *   node --import tsx bench/provider-startup.ts [runs]      (default 20)
 *
 * Prints one JSON object: runs, min, median, p90, max (milliseconds) and the Node version.
 * With BENCH_RESULTS=path it also writes the JSON there.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../src/provider/serve.js';
import { generateServerCertificate } from '../src/provider/tls.js';

const entry = join(import.meta.dirname, '..', 'bin', 'terraform-provider-forcedown.js');
const runs = Number(process.argv[2] ?? 20);
const clientCert = generateServerCertificate().certPem;

async function once_(): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: '5,6', PLUGIN_CLIENT_CERT: clientCert },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!line.startsWith('1|6|tcp|')) throw new Error(`unexpected handshake: ${line}`);
  child.kill('SIGTERM');
  await once(child, 'exit');
  return ms;
}

const samples: number[] = [];
await once_(); // warm the compile cache and the file system cache
for (let i = 0; i < runs; i++) samples.push(await once_());
samples.sort((a, b) => a - b);
const at = (q: number): number => Math.round((samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? NaN) * 10) / 10;
const result = { benchmark: 'provider-startup', unit: 'ms', runs, node: process.version, min: at(0), median: at(0.5), p90: at(0.9), max: at(1) };
console.log(JSON.stringify(result));
if (process.env.BENCH_RESULTS) writeFileSync(process.env.BENCH_RESULTS, `${JSON.stringify(result, null, 2)}\n`);
