/* Generated from schemas/inventory.schema.json by scripts/gen-types.mjs. Do not edit: edit the schema and run `npm run gen:types`. */

/**
 * The host's power controller.
 *
 * This interface was referenced by `Inventory`'s JSON-Schema
 * via the `definition` "bmc".
 */
export type BmcConfig = IpmiBmc | RedfishBmc | CommandBmc;
/**
 * Where the BMC password comes from: an environment variable or a file (first line, trailing newline removed). Never inline.
 *
 * This interface was referenced by `Inventory`'s JSON-Schema
 * via the `definition` "password".
 */
export type PasswordSource = PasswordFromEnv | PasswordFromFile;
/**
 * Seconds one BMC call (status, off, on) may take before it is abandoned.
 *
 * This interface was referenced by `Inventory`'s JSON-Schema
 * via the `definition` "callTimeoutSec".
 */
export type CallTimeoutSec = number;
/**
 * A second opinion on whether the host itself is alive, used by `forcedown watch` before it fences: when nova-compute is silent but the probe answers, the watcher notifies instead of fencing. A TCP connect to a management address, or a program (no shell) that exits 0 when the host answers.
 *
 * This interface was referenced by `Inventory`'s JSON-Schema
 * via the `definition` "probe".
 */
export type LivenessProbeConfig = TcpProbe | CommandProbe;
/**
 * Seconds the probe may take; no answer within it counts as silent.
 *
 * This interface was referenced by `Inventory`'s JSON-Schema
 * via the `definition` "probeTimeoutSec".
 */
export type ProbeTimeoutSec = number;
/**
 * A Nova service host name (RFC 1123 host name, 1-255 characters).
 *
 * This interface was referenced by `Inventory`'s JSON-Schema
 * via the `definition` "hostName".
 */
export type HostName = string;

/**
 * How forcedown reaches each compute host's BMC: per Nova service host name, its power driver (ipmi, redfish or command), address and credentials. Passwords come from an environment variable or a file, never from this file or the command line.
 */
export interface Inventory {
  /**
   * Path or URL of this schema, for editors.
   */
  $schema?: string;
  /**
   * Free text about this inventory.
   */
  description?: string;
  /**
   * One entry per nova-compute service host (the `host` field of `forcedown services`).
   */
  hosts: {
    [k: string]: InventoryHost;
  };
}
/**
 * This interface was referenced by `Inventory`'s JSON-Schema
 * via the `definition` "host".
 */
export interface InventoryHost {
  /**
   * Free text (rack, serial...).
   */
  description?: string;
  bmc: BmcConfig;
  probe?: LivenessProbeConfig;
}
/**
 * IPMI over LAN through ipmitool (-I lanplus by default). The password reaches ipmitool through its environment (-E), never its argv.
 *
 * This interface was referenced by `Inventory`'s JSON-Schema
 * via the `definition` "ipmiBmc".
 */
export interface IpmiBmc {
  driver: 'ipmi';
  /**
   * BMC host name or IP address.
   */
  address: string;
  /**
   * UDP port of the BMC.
   */
  port?: number;
  /**
   * BMC user.
   */
  username: string;
  password: PasswordSource;
  /**
   * ipmitool interface.
   */
  interface?: 'lanplus' | 'lan';
  /**
   * lanplus cipher suite (-C); setting it avoids ipmitool's slow cipher probing.
   */
  cipherSuite?: number;
  /**
   * Session privilege level (-L).
   */
  privilegeLevel?: 'CALLBACK' | 'USER' | 'OPERATOR' | 'ADMINISTRATOR';
  /**
   * Path of the ipmitool program.
   */
  ipmitool?: string;
  callTimeoutSec?: CallTimeoutSec;
}
export interface PasswordFromEnv {
  /**
   * Environment variable holding the password.
   */
  env: string;
}
export interface PasswordFromFile {
  /**
   * Path of a file holding the password; relative paths are relative to the inventory file. Should be mode 0600.
   */
  file: string;
}
/**
 * Redfish over HTTPS: ComputerSystem.Reset (ForceOff/On) with the PowerState read back.
 *
 * This interface was referenced by `Inventory`'s JSON-Schema
 * via the `definition` "redfishBmc".
 */
export interface RedfishBmc {
  driver: 'redfish';
  /**
   * Base URL of the BMC (https://bmc.example.net or https://10.0.0.5:8443).
   */
  url: string;
  /**
   * Member id of /redfish/v1/Systems to control; required when the BMC lists more than one system.
   */
  systemId?: string;
  username: string;
  password: PasswordSource;
  /**
   * PEM CA bundle trusted for this BMC (relative to the inventory file).
   */
  caCert?: string;
  /**
   * Skip TLS verification (warns on every use).
   */
  insecure?: boolean;
  /**
   * ResetType used to power off.
   */
  offResetType?: 'ForceOff' | 'GracefulShutdown' | 'PushPowerButton';
  /**
   * ResetType used to power on.
   */
  onResetType?: 'On' | 'ForceOn' | 'PushPowerButton';
  callTimeoutSec?: CallTimeoutSec;
}
/**
 * An operator-supplied program, called as `PROGRAM [ARGS...] status|off|on` (no shell). `status` prints `on` or `off`; `off`/`on` exit 0 when the request was accepted. Receives FORCEDOWN_HOST and, when `password` is set, FORCEDOWN_BMC_PASSWORD in its environment.
 *
 * This interface was referenced by `Inventory`'s JSON-Schema
 * via the `definition` "commandBmc".
 */
export interface CommandBmc {
  driver: 'command';
  /**
   * Program and fixed leading arguments; the action is appended.
   *
   * @minItems 1
   */
  command: [string, ...string[]];
  /**
   * Extra environment variables (no secrets: use `password`).
   */
  env?: {
    [k: string]: string;
  };
  password?: PasswordSource;
  callTimeoutSec?: CallTimeoutSec;
}
/**
 * This interface was referenced by `Inventory`'s JSON-Schema
 * via the `definition` "tcpProbe".
 */
export interface TcpProbe {
  /**
   * host:port to connect to (a management address, e.g. sshd: mgmt-07.example.net:22 or [fd00::7]:22). The host answers when the connection is accepted.
   */
  tcp: string;
  timeoutSec?: ProbeTimeoutSec;
}
/**
 * This interface was referenced by `Inventory`'s JSON-Schema
 * via the `definition` "commandProbe".
 */
export interface CommandProbe {
  /**
   * Program and arguments, run without a shell; exit 0 means the host answers. Receives FORCEDOWN_HOST in its environment.
   *
   * @minItems 1
   */
  command: [string, ...string[]];
  timeoutSec?: ProbeTimeoutSec;
}
