/**
 * Puts the testbed back to a clean slate between e2e files (scripts/run-tests.mjs runs it before
 * the suite and after a file that failed or was killed): every compute powered on, not forced
 * down, enabled and up, and every server a test or the benchmark booted (`e2e*`, `bench*`)
 * deleted. A file killed at its time limit leaves its servers behind, and the files after it
 * count every server on a host: without this one killed file fails the next ones too.
 *
 *   node --import tsx test/e2e/support/clean-slate.ts
 */
import { adminClient, deleteServers, ensureHealthy, testbed } from './testbed.js';

const PREFIXES = ['e2e', 'bench'];

const client = await adminClient();
try {
  for (const compute of testbed().computes) await ensureHealthy(client, compute.host);
  const left: string[] = [];
  for (const prefix of PREFIXES) left.push(...(await deleteServers(client, prefix)));
  console.log(
    left.length === 0
      ? 'clean-slate: every compute healthy, no leftover servers'
      : `clean-slate: every compute healthy; deleted ${left.length} leftover server(s): ${left.join(', ')}`,
  );
} finally {
  await client.close();
}
