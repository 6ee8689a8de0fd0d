import { invalidInput } from '../errors/index.js';
import type { BmcConfig } from '../generated/inventory.types.js';
import { redact, secrets } from '../secrets/index.js';
import { CommandPowerController } from './command.js';
import { DEFAULT_CALL_TIMEOUT_MS, describePasswordSource, type DriverContext } from './driver-context.js';
import { IPMI_DEFAULTS, IpmiPowerController } from './ipmi.js';
import type { PowerController, PowerControllerOptions } from './power.interface.js';
import { RedfishPowerController } from './redfish.js';

function defaultWarn(message: string): void {
  process.emitWarning(message, { code: 'FORCEDOWN_BMC_WARNING' });
}

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function configError(host: string, message: string, hint: string): never {
  throw invalidInput('BMC_CONFIG_INVALID', redact(`inventory entry of ${host}: ${message}`), hint, { host });
}

/**
 * Creates the power controller of `host` from its inventory entry.
 *
 * @param host - the Nova service host name (used in messages and as `FORCEDOWN_HOST`)
 * @param bmc - the host's `bmc` entry from the inventory (already schema-validated)
 * @param password - the BMC password, already resolved from the entry's `password` source by the
 *   inventory loader; registered as a secret here too. Required for `ipmi` and `redfish`.
 * @param options - warning sink, base directory for relative paths, default call timeout
 * @throws ForcedownError `BMC_CONFIG_INVALID` (exit 2) when the entry cannot work (no password,
 *   malformed URL)
 */
export function createPowerController(
  host: string,
  bmc: BmcConfig,
  password: string | undefined,
  options: PowerControllerOptions = {},
): PowerController {
  secrets.add(password);
  const warn = options.warn ?? defaultWarn;
  const baseDir = options.baseDir ?? process.cwd();
  const callTimeoutMs =
    bmc.callTimeoutSec !== undefined && bmc.callTimeoutSec > 0
      ? Math.round(bmc.callTimeoutSec * 1000)
      : (options.defaultCallTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
  const credentialSource = describePasswordSource(bmc.password);
  const context = (target: string, address: string): DriverContext => ({
    host,
    driver: bmc.driver,
    target: redact(target),
    credentialSource,
    callTimeoutMs,
    address: redact(address),
    onWait: options.onWait,
    noticeEveryMs: options.noticeEveryMs,
  });

  switch (bmc.driver) {
    case 'ipmi': {
      if (!password)
        configError(
          host,
          'the ipmi driver needs a BMC password, and none was given',
          `set the password in ${credentialSource ?? "the entry's password source"}`,
        );
      const address = `${bmc.address}:${bmc.port ?? IPMI_DEFAULTS.port}`;
      const target = `ipmi ${bmc.username}@${address}${bmc.interface === 'lan' ? ' (lan)' : ''}`;
      return new IpmiPowerController(context(target, address), bmc, password);
    }
    case 'redfish': {
      if (!password)
        configError(
          host,
          'the redfish driver needs a BMC password, and none was given',
          `set the password in ${credentialSource ?? "the entry's password source"}`,
        );
      let url: URL;
      try {
        url = new URL(bmc.url);
      } catch {
        return configError(
          host,
          `url ${JSON.stringify(bmc.url)} is not a URL`,
          'set `url` to the BMC base URL, e.g. https://bmc.example.net',
        );
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:')
        configError(
          host,
          `url must be https:// (got ${url.protocol})`,
          'set `url` to the BMC base URL, e.g. https://bmc.example.net',
        );
      const target = `redfish ${bmc.username}@${url.origin}${bmc.systemId !== undefined ? ` system ${bmc.systemId}` : ''}`;
      // an origin never carries the URL's user:password
      return new RedfishPowerController(context(target, url.origin), bmc, password, { warn, baseDir });
    }
    case 'command': {
      const program = bmc.command.map(quote).join(' ');
      return new CommandPowerController(context(`command ${program}`, program), bmc, password);
    }
    default: {
      const driver: unknown = (bmc as { driver?: unknown }).driver;
      return configError(host, `unknown BMC driver ${JSON.stringify(driver)}`, 'use one of ipmi, redfish, command');
    }
  }
}
