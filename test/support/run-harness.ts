import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { bindParams, loadRunbookText } from '../../src/runbook/index.js';
import {
  executeRun,
  type RunEvent,
  type RunOutcome,
  type RunRequest,
  type RunOptions,
  type RunServices,
  type StepCatalog,
} from '../../src/runner/index.js';
import { catalog } from '../../src/steps/catalog.js';

/** What the CLI, as composition root, hands every run: the shipped step catalog and its exit-code table. */
export const engineParts: { readonly catalog: StepCatalog; readonly exitCodes: typeof exitCodeFor } = {
  catalog,
  exitCodes: exitCodeFor,
};

/** Services for runs that must not touch OpenStack or BMCs (each use fails loudly). */
export function offlineServices(overrides: Partial<RunServices> = {}): RunServices {
  return {
    openstack: () => Promise.reject(new Error('test: no OpenStack here')),
    power: () => Promise.reject(new Error('test: no BMC here')),
    fetch: () => Promise.reject(new Error('test: no network here')),
    confirm: undefined,
    warn: () => undefined,
    close: async () => undefined,
    ...overrides,
  };
}

export interface HarnessRun extends RunOutcome {
  readonly events: readonly RunEvent[];
  readonly stateDir: string;
}

/** Runs a runbook (object or JSON text) in-process with the silent renderer, collecting events. */
export async function runRunbook(
  runbook: unknown,
  options: {
    params?: Record<string, unknown>;
    run?: Partial<RunOptions>;
    services?: RunServices;
    /** @defaultValue the shipped catalog */
    catalog?: StepCatalog;
    signal?: AbortSignal;
    stateDir?: string;
    env?: Record<string, string | undefined>;
    onEvent?: (event: RunEvent) => void;
    coordination?: RunRequest['coordination'];
  } = {},
): Promise<HarnessRun> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'fd-run-')));
  const text = typeof runbook === 'string' ? runbook : JSON.stringify(runbook, null, 2);
  const loaded = loadRunbookText(text, 'test.json', '/tmp/test.json');
  const events: RunEvent[] = [];
  const outcome = await executeRun({
    loaded,
    params: bindParams(
      loaded.runbook,
      Object.fromEntries(Object.entries(options.params ?? {}).map(([k, v]) => [k, String(v)])),
    ),
    secretParams: [],
    options: {
      dryRun: false,
      yes: true,
      approve: new Set(),
      assumeFenced: undefined,
      interactive: false,
      ...options.run,
    },
    stateDir,
    ...engineParts,
    ...(options.catalog ? { catalog: options.catalog } : {}),
    services: options.services ?? offlineServices(),
    signal: options.signal ?? new AbortController().signal,
    renderer: 'silent',
    progressStream: new PassThrough(),
    onEvent: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
    env: options.env ?? process.env,
    ...(options.coordination ? { coordination: options.coordination } : {}),
  });
  return { ...outcome, events, stateDir };
}

/** Removes a harness state dir. */
export async function cleanup(run: { stateDir: string }): Promise<void> {
  await rm(run.stateDir, { recursive: true, force: true });
}
