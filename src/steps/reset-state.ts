import type { ResetStateStep } from '../generated/runbook.types.js';
import { REBUILD_TASK_STATES } from '../openstack/compute/vocabulary.js';
import { OpenStackApiError } from '../openstack/errors.js';
import type { ComputeService, OpenStackClient, Server } from '../openstack/openstack.interface.js';
import type { StepContext, StepModule, StepOutcomes } from './step.interface.js';

interface Target {
  readonly id: string;
  readonly server: Server | undefined;
}

/** A listed server left alone, with the reason (reported in `results` and `skipped`). */
interface Skip {
  readonly server: Server;
  readonly reason: string;
}

/** The vm_states of a server that may be running (its guest up, or resumable) on a healthy host. */
const MAY_RUN = new Set(['active', 'stopped', 'paused', 'suspended']);

async function readListed(client: OpenStackClient, ids: readonly string[], signal: AbortSignal): Promise<Target[]> {
  const out: Target[] = [];
  for (const id of ids) {
    try {
      out.push({ id, server: await client.compute.getServer(id, { signal }) });
    } catch (error) {
      if (error instanceof OpenStackApiError && error.isNotFound) out.push({ id, server: undefined });
      else throw error;
    }
  }
  return out;
}

/**
 * Why a listed server must not be reset, if so: it is still being rebuilt, or it runs (or can)
 * on a host whose nova-compute is up and not forced down: an evacuation that succeeded after
 * all. Nothing is reset unless it is known not to be running elsewhere.
 */
function whyNot(
  server: Server,
  services: ReadonlyMap<string, ComputeService>,
  host: string | undefined,
): string | undefined {
  if (server.taskState !== null && REBUILD_TASK_STATES.has(server.taskState))
    return `still being rebuilt (task_state ${server.taskState}) on ${server.host ?? 'no host yet'}`;
  if (server.host !== null && host !== undefined && server.host !== host)
    return `no longer on ${host} (now on ${server.host})`;
  const service = server.host === null ? undefined : services.get(server.host);
  if (MAY_RUN.has(server.vmState) && service !== undefined && service.state === 'up' && !service.forcedDown)
    return `${server.status} on ${server.host}, whose nova-compute is up: it runs there; not reset`;
  return undefined;
}

async function targets(s: ResetStateStep, context: StepContext): Promise<{ targets: Target[]; skipped: Skip[] }> {
  const client = await context.services.openstack();
  const signal = context.signal;
  if (s.only === undefined) {
    const service = await client.compute.findComputeService(s.host!, { signal });
    const servers = await client.compute.listServersOnHost(service.host, { signal });
    return { targets: servers.map((server) => ({ id: server.id, server })), skipped: [] };
  }
  const listed = await readListed(client, Array.isArray(s.only) ? s.only : [], signal);
  if (listed.every((t) => t.server === undefined)) return { targets: listed, skipped: [] };
  const host = s.host === undefined ? undefined : (await client.compute.findComputeService(s.host, { signal })).host;
  const services = new Map(
    (await client.compute.listServices({ binary: 'nova-compute' }, { signal })).map((svc) => [svc.host, svc]),
  );
  const out: Target[] = [];
  const skipped: Skip[] = [];
  for (const target of listed) {
    const reason = target.server === undefined ? undefined : whyNot(target.server, services, host);
    if (reason === undefined) out.push(target);
    else skipped.push({ server: target.server!, reason });
  }
  return { targets: out, skipped };
}

function alreadyThere(server: Server, state: 'error' | 'active'): boolean {
  return server.vmState === state && server.taskState === null;
}

const skippedResults = (skipped: readonly Skip[]): Record<string, unknown>[] =>
  skipped.map(({ server, reason }) => ({
    id: server.id,
    name: server.name,
    result: 'skipped',
    reason,
    fromHost: server.host ?? undefined,
  }));

/** The summary's server lines: the servers reset and those skipped, from the `results` output. */
function resetOutcomes(outputs: Readonly<Record<string, unknown>>): StepOutcomes {
  const results = Array.isArray(outputs.results) ? (outputs.results as StepOutcomes['servers']) : [];
  return { servers: results.filter((result) => typeof result?.id === 'string') };
}

/**
 * `reset-state`: os-resetState (error or active) for every server on a host or for a list of
 * server ids (e.g. an evacuate step's `failed`). A listed server is read again first: one still
 * rebuilding, or running on another, healthy host, is skipped and reported. Servers already in
 * that state with no task are left alone; an empty list changes nothing.
 */
export const step: StepModule<ResetStateStep> = {
  type: 'reset-state',
  defaultTimeoutMs: 120_000,
  needs: ['openstack'],
  title: (s) =>
    s.only !== undefined
      ? `reset ${Array.isArray(s.only) ? s.only.length : 'listed'} server(s) to ${s.state ?? 'error'}`
      : `reset servers on ${s.host} to ${s.state ?? 'error'}`,
  hosts: (s) => (s.host ? [s.host] : []),
  outcomes: (_s, outputs) => resetOutcomes(outputs),
  async check(s, context) {
    const state = s.state ?? 'error';
    const { targets: list, skipped } = await targets(s, context);
    const todo = list.filter((t) => t.server !== undefined && !alreadyThere(t.server, state));
    const gone = list.filter((t) => t.server === undefined);
    const skipNote = skipped.length ? `; ${skipped.length} skipped (running elsewhere or rebuilding)` : '';
    const details = skipped.map(({ server, reason }) => `${server.id} ${server.name}: skipped — ${reason}`);
    const skippedOutputs = { skipped: skipped.map((k) => k.server.id), results: skippedResults(skipped) };
    if (todo.length === 0) {
      return {
        needed: false,
        summary:
          list.length === 0 && skipped.length === 0
            ? 'no servers to reset'
            : `all ${list.length - gone.length} server(s) already ${state}${gone.length ? `; ${gone.length} no longer exist` : ''}${skipNote}`,
        details,
        outputs: { reset: [], count: 0, ...skippedOutputs },
      };
    }
    return {
      needed: true,
      summary: `would reset ${todo.length} server(s) to ${state}${skipNote}`,
      details: [
        ...todo.map(
          (t) =>
            `${t.id} ${t.server!.name}: ${t.server!.vmState}${t.server!.taskState ? `/${t.server!.taskState}` : ''} -> ${state}`,
        ),
        ...details,
      ],
      outputs: { reset: todo.map((t) => t.id), count: todo.length, ...skippedOutputs },
      state: { todo, skipped },
    };
  },
  async apply(s, context, check) {
    const state = s.state ?? 'error';
    const client = await context.services.openstack();
    const { todo, skipped } = check.state as { todo: Target[]; skipped: Skip[] };
    const results: Record<string, unknown>[] = [];
    for (const target of todo) {
      await client.compute.resetState(target.id, state, { signal: context.signal });
      results.push({
        id: target.id,
        name: target.server!.name,
        result: 'reset',
        reason: `os-resetState ${state} (was ${target.server!.vmState})`,
        fromHost: target.server!.host ?? undefined,
      });
      context.output(`reset ${target.server!.name} (${target.id}) to ${state}`);
    }
    for (const { server, reason } of skipped) context.output(`not reset: ${server.name} (${server.id}): ${reason}`);
    return {
      summary: `reset ${todo.length} server(s) to ${state}${skipped.length ? `; ${skipped.length} skipped (running elsewhere or rebuilding)` : ''}`,
      outputs: {
        reset: todo.map((t) => t.id),
        count: todo.length,
        skipped: skipped.map((k) => k.server.id),
        results: [...results, ...skippedResults(skipped)],
      },
    };
  },
};
