/**
 * The OpenStack connection options every command shares (`--os-cloud`, `--insecure`) and the one
 * way commands turn them into a connected client. Credentials never come from argv: only the
 * cloud's name does; passwords stay in secure.yaml / OS_* variables.
 */
import { resolve } from 'node:path';
import type { CloudConfig, ConnectOptions, LoadCloudConfigOptions, OpenStackClient } from '../openstack/index.js';
import type { WaitNoticeBase } from '../wait-notices.js';
import type { CommandContext, OptionSpec, ParsedArgs } from './command.interface.js';
import { escapeForTerminal } from './io.js';

type OpenStackOption = 'os-cloud' | 'os-region-name' | 'os-interface' | 'os-cacert' | 'insecure';

/** The `openstack` CLI's connection flags, beside their OS_* variables, for a command's `options`. */
export const openstackOptions: Readonly<Record<OpenStackOption, OptionSpec>> = {
  'os-cloud': {
    type: 'string',
    valueName: 'NAME',
    description: 'Cloud from clouds.yaml',
    defaultText: 'OS_CLOUD, else OS_* variables',
  },
  'os-region-name': {
    type: 'string',
    valueName: 'REGION',
    description: "Region of the cloud's catalog to use",
    defaultText: "OS_REGION_NAME, else the cloud's region_name",
  },
  'os-interface': {
    type: 'string',
    valueName: 'INTERFACE',
    description: 'Endpoint interface: public, internal or admin',
    defaultText: 'OS_INTERFACE, else public',
  },
  'os-cacert': {
    type: 'string',
    valueName: 'FILE',
    description: "CA bundle (PEM) to verify the cloud's TLS certificates",
    defaultText: 'OS_CACERT',
  },
  insecure: { type: 'boolean', description: "Do not verify the cloud's TLS certificate (warns; prefer --os-cacert)" },
};

/** What the connection flags override in the cloud configuration (they win over files and OS_*). */
export function cloudOverridesFrom(args: ParsedArgs, cwd: string): NonNullable<LoadCloudConfigOptions['overrides']> {
  const text = (name: OpenStackOption): string | undefined => {
    const value = args.values[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const region = text('os-region-name');
  const endpoint = text('os-interface');
  const cacert = text('os-cacert');
  return {
    ...(region === undefined ? {} : { regionName: region }),
    ...(endpoint === undefined ? {} : { interface: endpoint as CloudConfig['interface'] }),
    ...(cacert === undefined ? {} : { cacert: resolve(cwd, cacert) }),
    ...(args.values.insecure === true ? { verify: false } : {}),
  };
}

/** Prints a configuration or TLS warning on stderr. */
export function warnTo(context: CommandContext): (message: string) => void {
  return (message) => {
    context.stderr.write(`forcedown: warning: ${escapeForTerminal(message)}\n`);
  };
}

/** Prints what an OpenStack or BMC call that keeps waiting waits for, and until when, on stderr. */
export function waitsTo(context: CommandContext): (notice: WaitNoticeBase) => void {
  return (notice) => {
    context.stderr.write(`forcedown: ${escapeForTerminal(notice.message)}\n`);
  };
}

/** The cloud configuration the command line selects (clouds.yaml, secure.yaml, OS_*, flags). */
export async function cloudConfigFromArgs(args: ParsedArgs, context: CommandContext): Promise<CloudConfig> {
  const { loadCloudConfig } = await import('../openstack/index.js');
  const cloud = args.values['os-cloud'];
  return loadCloudConfig({
    ...(typeof cloud === 'string' && cloud !== '' ? { cloud } : {}),
    env: context.env,
    cwd: context.cwd,
    // ~/.config/openstack of the HOME this command runs with (openstacksdk expands ~ from $HOME)
    ...(context.env.HOME ? { home: context.env.HOME } : {}),
    overrides: cloudOverridesFrom(args, context.cwd),
    warn: warnTo(context),
  });
}

/**
 * Loads the cloud configuration and connects (Keystone token, catalog, microversions).
 * The caller closes the client.
 */
export async function connectFromArgs(
  args: ParsedArgs,
  context: CommandContext,
  options: ConnectOptions = {},
): Promise<OpenStackClient> {
  const config = await cloudConfigFromArgs(args, context);
  const { connect } = await import('../openstack/index.js');
  return connect(config, { warn: warnTo(context), onWait: waitsTo(context), signal: context.signal, ...options });
}
