import { resolve } from 'node:path';
import { invalidInput } from '../../errors/index.js';
import type { CommandSpec } from '../command.interface.js';

/** `forcedown provider install|serve`: the Terraform provider's install story and its server. */
export const command: CommandSpec = {
  name: 'provider',
  summary: 'Install the forcedown Terraform provider, or serve it (Terraform runs that)',
  usage: 'install [--dir DIR] [--print-config] [--config-file FILE] [--node PATH] | serve',
  description: `
install  Puts the provider where Terraform finds it: an unpacked filesystem mirror
         DIR/registry.forcedown.dev/forcedown/forcedown/VERSION/OS_ARCH/terraform-provider-forcedown_vVERSION,
         a script that execs Node.js (this one, or --node) on the package's provider entry.
         The default DIR, ~/.terraform.d/plugins, is a mirror Terraform searches by itself when
         its CLI configuration has no provider_installation block. Otherwise add the block that
         --print-config prints, or write a whole CLI configuration with --config-file FILE and
         point TF_CLI_CONFIG_FILE at it. Then: terraform init (or cdktf deploy --skip-provider-lock).
serve    Runs the provider's plugin server (protocol 6, mTLS). Terraform starts providers itself;
         run by hand it explains that and exits 1.

Examples:
  forcedown provider install
  forcedown provider install --dir ./terraform.d/plugins --config-file ./forcedown.tfrc
  export TF_CLI_CONFIG_FILE=$PWD/forcedown.tfrc

See docs/iac.md. Exit codes: 0 installed; 2 invalid input (unknown action, package not built).`,
  positionals: [1, 1],
  options: {
    dir: {
      type: 'string',
      valueName: 'DIR',
      description: 'Mirror root to install into',
      defaultText: '~/.terraform.d/plugins',
    },
    'print-config': { type: 'boolean', description: 'Print the provider_installation block for this mirror on stdout' },
    'config-file': {
      type: 'string',
      valueName: 'FILE',
      description: 'Write a CLI configuration using the mirror to FILE (for TF_CLI_CONFIG_FILE)',
    },
    node: {
      type: 'string',
      valueName: 'PATH',
      description: 'Node.js binary the provider runs on',
      defaultText: 'the running node',
    },
  },
  async run(args, context) {
    const action = args.positionals[0];
    if (action === 'serve') {
      const { serve } = await import('../../provider/serve.js');
      return serve({ env: context.env, stdout: context.stdout, stderr: context.stderr });
    }
    if (action !== 'install') {
      throw invalidInput(
        'USAGE',
        `forcedown provider: unknown action "${String(action)}"; expected install or serve`,
        'see `forcedown provider --help`',
      );
    }
    const { installProvider, writeCliConfig } = await import('../../provider/install.js');
    const dir = args.values.dir as string | undefined;
    const node = args.values.node as string | undefined;
    const result = installProvider({
      ...(dir === undefined ? {} : { dir: resolve(context.cwd, dir) }),
      ...(node === undefined ? {} : { node }),
      ...(context.env.HOME === undefined ? {} : { home: context.env.HOME }),
    });
    context.stderr.write(
      `installed ${result.source} ${result.version} (${result.platform}):\n  ${result.executable}\n`,
    );
    const configFile = args.values['config-file'] as string | undefined;
    if (configFile !== undefined) {
      const path = writeCliConfig(resolve(context.cwd, configFile), result.cliConfig);
      context.stderr.write(`wrote the CLI configuration ${path}\n  export TF_CLI_CONFIG_FILE=${path}\n`);
    }
    if (args.values['print-config'] === true) {
      context.stdout.write(result.cliConfig);
    } else if (configFile === undefined) {
      context.stderr.write(
        'If your Terraform CLI configuration (~/.terraformrc or TF_CLI_CONFIG_FILE) has a provider_installation block, add the one from `forcedown provider install --print-config`.\n',
      );
    }
    return 0;
  },
};
