/**
 * Figure 4, start-up: `forcedown --help` and `forcedown validate runbooks/host-failure.json`
 * timed as whole processes from outside (spawn to exit), next to a bare `node -e 0` (what Node
 * itself costs on this machine), and the Terraform provider's exec → handshake line, measured by
 * bench/provider-startup.ts (run as its own process).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEntry, timeCommand, type CommandTiming } from './lib/processes.js';
import { benchRoot, repoRoot } from './lib/results.js';

export interface StartupFigures {
  readonly nodeBare: CommandTiming;
  readonly help: CommandTiming;
  readonly validate: CommandTiming;
  readonly provider:
    | {
        readonly runs: number;
        readonly handshakeMs: Record<string, number>;
        readonly firstResponseMs?: Record<string, number>;
      }
    | { readonly error: string };
}

function providerStartup(runs: number): Promise<StartupFigures['provider']> {
  const dir = mkdtempSync(join(tmpdir(), 'fd-bench-provider-'));
  const out = join(dir, 'provider.json');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(benchRoot, 'provider-startup.ts'), String(runs)], {
      cwd: repoRoot,
      env: { ...process.env, BENCH_RESULTS: out },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      try {
        const result = JSON.parse(readFileSync(out, 'utf8')) as {
          runs: number;
          handshake: Record<string, number>;
          firstResponse?: Record<string, number>;
          min?: number;
          median?: number;
          p90?: number;
          max?: number;
        };
        // the older format printed min/median/p90/max of the handshake at the top level
        const handshake = result.handshake ?? {
          min: result.min!,
          median: result.median!,
          p90: result.p90!,
          max: result.max!,
        };
        resolve({
          runs: result.runs,
          handshakeMs: handshake,
          ...(result.firstResponse ? { firstResponseMs: result.firstResponse } : {}),
        });
      } catch {
        resolve({
          error: `bench/provider-startup.ts exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

export async function startupBench(options: {
  readonly runs: number;
  readonly providerRuns: number;
}): Promise<StartupFigures> {
  const nodeBare = await timeCommand(process.execPath, ['-e', '0'], options.runs);
  const help = await timeCommand(process.execPath, [cliEntry, '--help'], options.runs);
  const validate = await timeCommand(
    process.execPath,
    [cliEntry, 'validate', 'runbooks/host-failure.json'],
    options.runs,
  );
  if (validate.exitCodes.some((code) => code !== 0))
    throw new Error(`forcedown validate exited ${validate.exitCodes.join(',')}`);
  if (help.exitCodes.some((code) => code !== 0)) throw new Error(`forcedown --help exited ${help.exitCodes.join(',')}`);
  const provider =
    options.providerRuns > 0 ? await providerStartup(options.providerRuns) : { error: 'not measured (smoke)' };
  return { nodeBare, help, validate, provider };
}
