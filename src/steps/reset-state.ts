import type { ResetStateStep } from '../generated/runbook.types.js';
import { OpenStackApiError } from '../openstack/errors.js';
import type { Server } from '../openstack/openstack.interface.js';
import type { StepContext, StepModule } from './step.interface.js';

interface Target {
  readonly id: string;
  readonly server: Server | undefined;
}

async function targets(s: ResetStateStep, context: StepContext): Promise<Target[]> {
  const client = await context.services.openstack();
  if (s.only !== undefined) {
    const ids = Array.isArray(s.only) ? s.only : [];
    const out: Target[] = [];
    for (const id of ids) {
      try {
        out.push({ id, server: await client.compute.getServer(id, { signal: context.signal }) });
      } catch (error) {
        if (error instanceof OpenStackApiError && error.isNotFound) out.push({ id, server: undefined });
        else throw error;
      }
    }
    return out.filter((t) => s.host === undefined || t.server?.host === s.host);
  }
  return (await client.compute.listServersOnHost(s.host!, { signal: context.signal })).map((server) => ({
    id: server.id,
    server,
  }));
}

function alreadyThere(server: Server, state: 'error' | 'active'): boolean {
  return server.vmState === state && server.taskState === null;
}

/**
 * `reset-state`: os-resetState (error or active) for every server on a host or for a list of
 * server ids (e.g. an evacuate step's `failed`). Servers already in that state with no task are
 * left alone; an empty list changes nothing.
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
  async check(s, context) {
    const state = s.state ?? 'error';
    const list = await targets(s, context);
    const todo = list.filter((t) => t.server !== undefined && !alreadyThere(t.server, state));
    const gone = list.filter((t) => t.server === undefined);
    if (todo.length === 0) {
      return {
        needed: false,
        summary:
          list.length === 0
            ? 'no servers to reset'
            : `all ${list.length - gone.length} server(s) already ${state}${gone.length ? `; ${gone.length} no longer exist` : ''}`,
        outputs: { reset: [], count: 0 },
      };
    }
    return {
      needed: true,
      summary: `would reset ${todo.length} server(s) to ${state}`,
      details: todo.map(
        (t) =>
          `${t.id} ${t.server!.name}: ${t.server!.vmState}${t.server!.taskState ? `/${t.server!.taskState}` : ''} -> ${state}`,
      ),
      outputs: { reset: todo.map((t) => t.id), count: todo.length },
      state: todo,
    };
  },
  async apply(s, context, check) {
    const state = s.state ?? 'error';
    const client = await context.services.openstack();
    const todo = check.state as Target[];
    const results = [];
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
    return {
      summary: `reset ${todo.length} server(s) to ${state}`,
      outputs: { reset: todo.map((t) => t.id), count: todo.length, results },
    };
  },
};
