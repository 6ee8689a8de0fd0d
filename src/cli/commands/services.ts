import { invalidInput } from '../../errors/index.js';
import { ExitCode } from '../exit-codes.js';
import type { ComputeService } from '../../openstack/index.js';
import type { CommandSpec } from '../command.interface.js';
import { renderTable } from '../format/table.js';
import { writeLine } from '../io.js';
import { connectFromArgs, openstackOptions } from '../openstack-options.js';

/** The table columns of `forcedown services`. */
export const SERVICE_COLUMNS = [
  'host',
  'binary',
  'zone',
  'status',
  'state',
  'forced_down',
  'disabled_reason',
  'updated_at',
] as const;

/** One table row per service. */
export function serviceRow(service: ComputeService): string[] {
  return [
    service.host,
    service.binary,
    service.zone,
    service.status,
    service.state,
    String(service.forcedDown),
    service.disabledReason ?? '-',
    service.updatedAt ?? '-',
  ];
}

export const command: CommandSpec = {
  name: 'services',
  summary: 'List Nova services with state, status and forced_down',
  usage: '[--host HOST] [--binary BINARY] [--output table|json] [--os-cloud NAME] [--insecure]',
  description: `
Lists Nova's services as the compute API reports them: host, binary, zone, status
(enabled/disabled), state (up/down), forced_down, disabled_reason and updated_at. Reads only.
Use it to check what forcedown would act on, and to find the service host name a runbook needs
(the service host, not the hypervisor hostname).

A cloud that does not answer is given up after 30 s (refused connections: a few seconds),
with a line on stderr at least every 5 s saying what forcedown waits for; the limits are
FORCEDOWN_CONNECT_TIMEOUT, FORCEDOWN_API_TIMEOUT (or api_timeout) and FORCEDOWN_API_BUDGET.

JSON mode (--output json) prints one array of services (id, host, binary, zone, status, state,
forcedDown, disabledReason, updatedAt). The compute microversion used is printed on stderr.

Examples:
  forcedown services
  forcedown services --host cmp-07 --output json
  OS_CLOUD=prod forcedown services --binary nova-compute

Exit codes: 0 listed; 2 unknown host or invalid configuration; 4 authentication failed or the
user may not list services (Nova's policy os_compute_api:os-services:list, admin by default).`,
  positionals: [0, 0],
  options: {
    host: { type: 'string', valueName: 'HOST', description: 'Only the services of this host' },
    binary: { type: 'string', valueName: 'BINARY', description: 'Only this binary (nova-compute, nova-scheduler...)' },
    output: { type: 'string', valueName: 'FORMAT', description: 'table, or json (an array)', defaultText: 'table' },
    ...openstackOptions,
  },
  async run(args, context) {
    const output = (args.values.output as string | undefined) ?? 'table';
    if (output !== 'table' && output !== 'text' && output !== 'json') {
      throw invalidInput(
        'USAGE',
        `--output must be table or json, not "${output}"`,
        'use --output table or --output json',
      );
    }
    const host = args.values.host as string | undefined;
    const binary = args.values.binary as string | undefined;
    const client = await connectFromArgs(args, context);
    try {
      const services = await client.compute.listServices(
        { ...(host === undefined ? {} : { host }), ...(binary === undefined ? {} : { binary }) },
        { signal: context.signal },
      );
      if (host !== undefined && services.length === 0) {
        const known = [
          ...new Set((await client.compute.listServices({}, { signal: context.signal })).map((s) => s.host)),
        ].sort();
        throw invalidInput(
          'NOVA_UNKNOWN_HOST',
          `Nova has no ${binary === undefined ? 'service' : `${binary} service`} on host "${host}"; hosts with services: ${known.join(', ') || 'none'}`,
          'use the service host name exactly as `forcedown services` lists it (not the hypervisor hostname or an IP)',
          { host, known },
        );
      }
      const sorted = [...services].sort((a, b) => a.host.localeCompare(b.host) || a.binary.localeCompare(b.binary));
      if (output === 'json') {
        writeLine(context.stdout, JSON.stringify(sorted, null, 2));
      } else {
        writeLine(context.stdout, renderTable(SERVICE_COLUMNS, sorted.map(serviceRow)));
      }
      writeLine(
        context.stderr,
        `compute API ${client.compute.servicesMicroversion} (cloud ${client.config.cloudName} supports ${client.compute.versions.min} to ${client.compute.versions.max})`,
      );
      return ExitCode.Ok;
    } finally {
      await client.close();
    }
  },
};
