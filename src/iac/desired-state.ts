/**
 * The desired-state file: read, validate against `schemas/desired-state.schema.json` (JSON Schema
 * 2020-12; every problem at once, each with its JSON path and line), check what the schema cannot
 * (unique Terraform names), and return it typed.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { invalidInput } from '../errors/index.js';
import { formatProblem, sortProblems, toPointer, validateDocumentText, type Problem } from '../validation/index.js';

/** Provider arguments allowed in a desired-state file (no secrets). */
export interface DesiredProvider {
  readonly cloud?: string;
  readonly authUrl?: string;
  readonly userName?: string;
  readonly userId?: string;
  readonly tenantName?: string;
  readonly tenantId?: string;
  readonly userDomainName?: string;
  readonly userDomainId?: string;
  readonly projectDomainName?: string;
  readonly projectDomainId?: string;
  readonly domainName?: string;
  readonly region?: string;
  readonly endpointType?: string;
  readonly applicationCredentialId?: string;
  readonly applicationCredentialName?: string;
  readonly insecure?: boolean;
  readonly cacertFile?: string;
}

/** A failed host: fenced, to be forced down. */
export interface DesiredFailedHost {
  readonly state: 'failed';
  readonly fencedReason: string;
  /** @defaultValue true */
  readonly disable?: boolean;
  readonly disabledReason?: string;
}
/** A host in maintenance: disabled, not forced down. */
export interface DesiredMaintenanceHost {
  readonly state: 'maintenance';
  readonly reason: string;
}
/** A healthy host: up and enabled. */
export interface DesiredHealthyHost {
  readonly state: 'healthy';
}
export type DesiredHost = DesiredFailedHost | DesiredMaintenanceHost | DesiredHealthyHost;

/** A validated desired-state file. */
export interface DesiredState {
  /** The file it came from (absolute). */
  readonly file: string;
  readonly description?: string;
  /** @defaultValue `'forcedown'` */
  readonly stack: string;
  /** Absolute local-backend state path, when the file sets one. */
  readonly statePath?: string;
  readonly provider: DesiredProvider;
  readonly hosts: Readonly<Record<string, DesiredHost>>;
}

/** The Terraform resource name of a host (`cmp-07.dc1` → `cmp-07_dc1`). */
export function resourceName(host: string): string {
  const name = host.replace(/[^A-Za-z0-9_-]/g, '_');
  return /^[A-Za-z_]/.test(name) ? name : `host_${name}`;
}

interface RawDesiredState {
  description?: string;
  stack?: string;
  statePath?: string;
  provider?: DesiredProvider;
  hosts: Record<string, DesiredHost>;
}

const SECRET_ARGUMENTS = new Set(['password', 'token', 'applicationCredentialSecret']);
const SECRET_ENV: Readonly<Record<string, string>> = {
  password: 'OS_PASSWORD',
  token: 'OS_TOKEN',
  applicationCredentialSecret: 'OS_APPLICATION_CREDENTIAL_SECRET',
};

/** The schema's problems, reworded where forcedown can say more (secrets, host names). */
function reword(problems: readonly Problem[]): Problem[] {
  const badNames = problems.some((p) => p.message.startsWith('invalid name'));
  const out: Problem[] = [];
  for (const problem of problems) {
    // if/then branches: the problems inside the branch say what is wrong
    if (problem.message === 'must match "then" schema') continue;
    // propertyNames: keep the line that names the host, drop the generic one
    if (badNames && problem.pointer === '/hosts' && problem.message.startsWith('must be a string matching')) continue;
    const secret = /^\/provider\/([A-Za-z]+)$/.exec(problem.pointer)?.[1];
    if (secret !== undefined && SECRET_ARGUMENTS.has(secret)) {
      out.push({
        ...problem,
        message: `secrets are not accepted in a desired-state file (it is kept in version control and copied into cdk.tf.json): remove "${secret}" and set ${SECRET_ENV[secret] ?? 'it'} in the environment, or put it in secure.yaml`,
      });
      continue;
    }
    if (problem.message.startsWith('invalid name')) {
      out.push({
        ...problem,
        message: `${problem.message}: a host is named as \`forcedown services\` lists it (1-255 letters, digits, ".", "_" or "-", starting and ending with a letter or digit)`,
      });
      continue;
    }
    out.push(problem);
  }
  return out;
}

/** What the schema cannot say: reasons without disabling, names that collide in Terraform. */
function semanticProblems(value: unknown, file: string, at: (pointer: string) => Problem['position']): Problem[] {
  const problems: Problem[] = [];
  const hosts = (value as { hosts?: unknown } | null)?.hosts;
  if (typeof hosts !== 'object' || hosts === null || Array.isArray(hosts)) return problems;
  const seen = new Map<string, string>();
  const problem = (pointer: string, message: string): Problem => {
    const position = at(pointer);
    return { file, pointer, ...(position === undefined ? {} : { position }), message };
  };
  for (const [host, entry] of Object.entries(hosts as Record<string, unknown>)) {
    const name = resourceName(host);
    const other = seen.get(name);
    if (other !== undefined) {
      problems.push(
        problem(
          toPointer(['hosts', host]),
          `hosts "${other}" and "${host}" both become the Terraform resource name "${name}"; rename one (names differing only in "." and "_" collide)`,
        ),
      );
    }
    seen.set(name, host);
    const e = entry as Record<string, unknown> | null;
    if (
      e !== null &&
      typeof e === 'object' &&
      e.state === 'failed' &&
      e.disable === false &&
      e.disabledReason !== undefined
    ) {
      problems.push(
        problem(
          toPointer(['hosts', host, 'disabledReason']),
          'disabledReason is set but disable is false: Nova keeps a reason only for a disabled service; remove disabledReason, or set disable to true',
        ),
      );
    }
  }
  return problems;
}

/** Validates the text of a desired-state file; problems are empty when it is valid. */
export function checkDesiredState(
  text: string,
  file: string,
): { state: DesiredState | undefined; problems: Problem[] } {
  const { document, problems: schemaProblems } = validateDocumentText('desired-state', text, file);
  if (document === undefined) return { state: undefined, problems: sortProblems(schemaProblems) };
  const at = (pointer: string): Problem['position'] =>
    document.keyPositions.get(pointer) ?? document.positions.get(pointer);
  const problems = sortProblems([...reword(schemaProblems), ...semanticProblems(document.value, file, at)]);
  if (problems.length > 0) return { state: undefined, problems };
  const raw = document.value as RawDesiredState;
  const absolute = resolve(file);
  const state: DesiredState = {
    file: absolute,
    ...(raw.description === undefined ? {} : { description: raw.description }),
    stack: raw.stack ?? 'forcedown',
    ...(raw.statePath === undefined
      ? {}
      : { statePath: isAbsolute(raw.statePath) ? raw.statePath : resolve(dirname(absolute), raw.statePath) }),
    provider: raw.provider ?? {},
    hosts: raw.hosts,
  };
  return { state, problems: [] };
}

/**
 * Reads and validates a desired-state file.
 * @throws ForcedownError `DESIRED_STATE_INVALID` (exit 2) listing every problem, or
 *   `DESIRED_STATE_UNREADABLE` (exit 2) when the file cannot be read.
 */
export function loadDesiredState(file: string): DesiredState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw invalidInput(
      'DESIRED_STATE_UNREADABLE',
      `cannot read the desired-state file ${file} (${code})`,
      'check the path in FORCEDOWN_DESIRED_STATE (relative paths are from the directory cdktf runs in)',
      { file },
    );
  }
  const { state, problems } = checkDesiredState(text, file);
  if (state === undefined) {
    const lines = problems.map((p) => `  ${formatProblem(p)}`).join('\n');
    throw invalidInput(
      'DESIRED_STATE_INVALID',
      `${file} is not a valid desired state (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines}`,
      'fix every problem listed (the schema is schemas/desired-state.schema.json; docs/iac.md has an example)',
      { file, problems: problems.map((p) => ({ pointer: p.pointer, message: p.message })) },
    );
  }
  return state;
}
