/**
 * The OpenStack connection options every command shares (`--os-cloud`, `--insecure`) and the one
 * way commands turn them into a connected client. Credentials never come from argv: only the
 * cloud's name does; passwords stay in secure.yaml / OS_* variables.
 */
import type { CloudConfig, ConnectOptions, OpenStackClient, WaitNotice } from '../openstack/index.js';
import type { CommandContext, OptionSpec, ParsedArgs } from './command.interface.js';
import { escapeForTerminal } from './io.js';

/** `--os-cloud` and `--insecure`, for a command's `options`. */
export const openstackOptions: Readonly<Record<'os-cloud' | 'insecure', OptionSpec>> = {
  'os-cloud': {
    type: 'string',
    valueName: 'NAME',
    description: 'Cloud from clouds.yaml',
    defaultText: 'OS_CLOUD, else OS_* variables',
  },
  insecure: { type: 'boolean', description: "Do not verify the cloud's TLS certificate (warns; prefer OS_CACERT)" },
};

/** Prints a configuration or TLS warning on stderr. */
export function warnTo(context: CommandContext): (message: string) => void {
  return (message) => {
    context.stderr.write(`forcedown: warning: ${escapeForTerminal(message)}\n`);
  };
}

/** Prints what an OpenStack call that keeps waiting waits for, and until when, on stderr. */
export function waitsTo(context: CommandContext): (notice: WaitNotice) => void {
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
    ...(args.values.insecure === true ? { overrides: { verify: false } } : {}),
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
