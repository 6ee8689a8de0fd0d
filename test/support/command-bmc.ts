import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A BMC for the `command` driver: a real program that logs each call and keeps a power state in a file. */
export interface CommandBmc {
  /** An inventory (`inventory.json` in the directory) with these hosts, all on this BMC. */
  readonly inventory: string;
  /** The calls the program got, `<host> <action>`, in order. */
  calls(): string[];
  /** Forgets the calls so far. */
  clearCalls(): void;
  /** What the program answers to `status` from now on (`on`, `off`, or anything else). */
  setPower(state: string): void;
}

/** Writes the BMC program, its log, its power state (`on`) and an inventory for `hosts` into `dir`. */
export function commandBmc(dir: string, hosts: readonly string[]): CommandBmc {
  const program = join(dir, 'bmc.sh');
  const log = join(dir, 'bmc.log');
  const power = join(dir, 'power');
  writeFileSync(
    program,
    `#!/bin/sh\necho "$FORCEDOWN_HOST $1" >> '${log}'\ncase "$1" in\n  status) cat '${power}' ;;\n  off) echo off > '${power}' ;;\n  on) echo on > '${power}' ;;\nesac\nexit 0\n`,
  );
  chmodSync(program, 0o755);
  writeFileSync(power, 'on\n');
  writeFileSync(log, '');
  const bmc = { bmc: { driver: 'command', command: [program] } };
  const inventory = join(dir, 'inventory.json');
  writeFileSync(inventory, JSON.stringify({ hosts: Object.fromEntries(hosts.map((host) => [host, bmc])) }));
  return {
    inventory,
    calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
    clearCalls: () => writeFileSync(log, ''),
    setPower: (state) => writeFileSync(power, `${state}\n`),
  };
}
