import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { invalidInput } from '../errors/index.js';
import type { Inventory, InventoryHost, PasswordSource } from '../generated/inventory.types.js';
import { secrets } from '../secrets/index.js';
import {
  didYouMean,
  matchHostName,
  problemsError,
  sortProblems,
  urlCredentialProblems,
  validateDocumentText,
} from '../validation/index.js';
import { checkInventorySemantics } from './inventory-checks.js';

/** A validated inventory file. */
export interface LoadedInventory {
  readonly file: string;
  readonly absolutePath: string;
  readonly inventory: Inventory;
  /**
   * The host's entry, found as operators type host names (`cmp-07` finds `cmp-07.example.net`,
   * and the other way round; an exact match wins); an input error naming the known hosts when
   * absent, or the candidates when more than one matches.
   */
  host(name: string): InventoryHost;
  /** Reads a password source (env or file), registers it as a secret, and returns it. */
  password(source: PasswordSource | undefined, host: string): Promise<string | undefined>;
}

const CREDENTIALS_HINT = 'give the user as "username" and the password as "password": {"env": ...} or {"file": ...}';

/** Where the inventory comes from: `--inventory`, `FORCEDOWN_INVENTORY`, the runbook's `inventory`. */
export function resolveInventoryPath(options: {
  readonly flag?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly runbookInventory?: string;
  readonly runbookPath?: string;
}): string | undefined {
  if (options.flag) return resolve(options.cwd, options.flag);
  if (options.env.FORCEDOWN_INVENTORY) return resolve(options.cwd, options.env.FORCEDOWN_INVENTORY);
  if (options.runbookInventory && options.runbookPath)
    return resolve(dirname(options.runbookPath), options.runbookInventory);
  return undefined;
}

/**
 * Validates inventory text (all problems at once): the schema, then what it cannot express (URLs
 * with credentials, plain-http Redfish, IPMI cipher suite 0; see ./inventory-checks.ts).
 */
export function checkInventoryText(
  text: string,
  file: string,
): { ok: true; inventory: Inventory } | { ok: false; problems: ReturnType<typeof sortProblems> } {
  const { document, problems } = validateDocumentText('inventory', text, file);
  if (!document) return { ok: false, problems: sortProblems(problems) };
  const leaks = urlCredentialProblems(document, file, CREDENTIALS_HINT);
  if (problems.length > 0) return { ok: false, problems: sortProblems([...problems, ...leaks]) };
  const inventory = document.value as Inventory;
  const semantic = [...checkInventorySemantics(inventory, document, file), ...leaks];
  if (semantic.length > 0) return { ok: false, problems: sortProblems(semantic) };
  return { ok: true, inventory };
}

/** Reads and validates an inventory file; input error (exit 2) listing every problem. */
export async function loadInventory(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  displayName: string = path,
): Promise<LoadedInventory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw invalidInput(
      'FILE_UNREADABLE',
      `cannot read inventory ${displayName}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      'pass the inventory with --inventory FILE or FORCEDOWN_INVENTORY (format: schemas/inventory.schema.json, example: runbooks/inventory.example.json)',
    );
  }
  const check = checkInventoryText(text, displayName);
  if (!check.ok) throw problemsError(`inventory ${displayName}`, check.problems);
  const inventory = check.inventory;
  const baseDir = dirname(path);
  return {
    file: displayName,
    absolutePath: path,
    inventory,
    host(name) {
      const known = Object.keys(inventory.hosts);
      const match = matchHostName(name, known);
      if (match.kind === 'ambiguous') {
        throw invalidInput(
          'HOST_AMBIGUOUS_IN_INVENTORY',
          `host ${name} matches more than one host in inventory ${displayName}: ${match.candidates.join(', ')}`,
          `use the host name exactly as ${displayName} lists it`,
          { host: name, candidates: match.candidates },
        );
      }
      const entry = match.kind === 'found' ? inventory.hosts[match.name] : undefined;
      if (!entry) {
        throw invalidInput(
          'HOST_NOT_IN_INVENTORY',
          `host ${name} is not in inventory ${displayName}${didYouMean(name, known)}`,
          `add "${name}" under "hosts" in ${displayName} (known: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', ...' : ''})`,
        );
      }
      return entry;
    },
    async password(source, host) {
      if (!source) return undefined;
      if ('env' in source) {
        const value = env[source.env];
        if (value === undefined || value === '') {
          throw invalidInput(
            'BMC_PASSWORD_MISSING',
            `the BMC password of ${host} should be in environment variable ${source.env}, which is not set`,
            `export ${source.env}=... (or point the inventory at a password file)`,
          );
        }
        secrets.add(value);
        return value;
      }
      const file = isAbsolute(source.file) ? source.file : resolve(baseDir, source.file);
      let info;
      try {
        info = await stat(file);
      } catch {
        throw invalidInput(
          'BMC_PASSWORD_MISSING',
          `the BMC password file of ${host} (${file}) does not exist`,
          `create it with mode 0600, or fix "password.file" for ${host} in ${displayName}`,
        );
      }
      if (!info.isFile())
        throw invalidInput(
          'BMC_PASSWORD_MISSING',
          `the BMC password file of ${host} (${file}) is not a regular file`,
          'point "password.file" at a file holding only the password',
        );
      if ((info.mode & 0o077) !== 0) {
        throw invalidInput(
          'BMC_PASSWORD_FILE_OPEN',
          `the BMC password file of ${host} (${file}) is readable by other users (mode ${(info.mode & 0o777).toString(8)})`,
          `chmod 600 ${file}`,
        );
      }
      const value = (await readFile(file, 'utf8')).split(/\r?\n/)[0] ?? '';
      if (value === '')
        throw invalidInput(
          'BMC_PASSWORD_MISSING',
          `the BMC password file of ${host} (${file}) is empty`,
          'write the password on its first line',
        );
      secrets.add(value);
      return value;
    },
  };
}
