import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { invalidInput } from '../errors/index.js';
import type { Param, Runbook } from '../generated/runbook.types.js';
import { secrets } from '../secrets/index.js';
import { didYouMean, formatProblem, parseDocumentText, toPointer, type Problem } from '../validation/index.js';
import { checkParamValue } from './semantic-checks.js';

/** Parses `--var KEY=VALUE` arguments into a map; an input error for malformed ones. */
export function parseVars(vars: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of vars) {
    const eq = item.indexOf('=');
    if (eq <= 0)
      throw invalidInput(
        'BAD_VAR',
        `--var "${item}" is not KEY=VALUE`,
        'write --var host=cmp-07 (one --var per parameter)',
      );
    const key = item.slice(0, eq);
    if (key in out) throw invalidInput('BAD_VAR', `--var ${key} is given twice`, 'give each parameter once');
    Object.defineProperty(out, key, {
      value: item.slice(eq + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** A `--var-file`'s values as `--var` strings; input errors (exit 2) name the file and line. */
export function varsFromFileText(text: string, file: string): Record<string, string> {
  const parsed = parseDocumentText(text, file);
  const fail = (problem: Problem): never => {
    throw invalidInput(
      'BAD_VAR_FILE',
      `--var-file ${formatProblem(problem)}`,
      'a var file is a JSON or YAML mapping of parameter names to values, e.g. `host: cmp-07` (one per line)',
      { file, line: problem.position?.line },
    );
  };
  if ('problem' in parsed) return fail(parsed.problem);
  const { value, positions } = parsed.document;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail({ file, pointer: '', position: positions.get(''), message: 'must be a mapping of NAME: VALUE' });
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const pointer = toPointer([key]);
    if (item === null || typeof item === 'object')
      fail({ file, pointer, position: positions.get(pointer), message: 'must be a string, number or true/false' });
    Object.defineProperty(out, key, { value: String(item), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * The parameters of a command line: the `--var-file`s in order, then the `--var`s (a later value
 * of a name wins, so `--var` overrides a file).
 */
export async function collectVars(
  vars: readonly string[],
  varFiles: readonly string[],
  cwd: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of varFiles) {
    let text: string;
    try {
      text = await readFile(resolve(cwd, file), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw invalidInput(
        'BAD_VAR_FILE',
        `cannot read --var-file ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}`,
        'check the path (relative paths are from the current directory)',
      );
    }
    Object.assign(out, varsFromFileText(text, file));
  }
  for (const [key, value] of Object.entries(parseVars(vars)))
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

function convert(name: string, param: Param, text: string): unknown {
  switch (param.type) {
    case 'string':
      return text;
    case 'integer':
    case 'number': {
      const value = Number(text);
      if (text.trim() === '' || Number.isNaN(value))
        throw invalidInput(
          'BAD_VAR',
          `--var ${name}=${param.secret ? '***' : text}: not a number`,
          `give ${name} as a ${param.type}`,
        );
      return value;
    }
    case 'boolean':
      if (/^(true|yes|1)$/i.test(text)) return true;
      if (/^(false|no|0)$/i.test(text)) return false;
      throw invalidInput('BAD_VAR', `--var ${name}=${text}: not a boolean`, `give ${name} as true or false`);
  }
}

/**
 * Binds `--var` values to the runbook's declared params: converts types, applies defaults,
 * checks enum/pattern/bounds, rejects unknown and missing ones — all problems in one error.
 * Secret params are registered with the secret registry.
 */
export function bindParams(runbook: Runbook, vars: Readonly<Record<string, string>>): Record<string, unknown> {
  const declared = runbook.params ?? {};
  const problems: string[] = [];
  const bound: Record<string, unknown> = {};
  for (const key of Object.keys(vars)) {
    if (!(key in declared)) {
      const known = Object.keys(declared);
      problems.push(
        `unknown parameter "${key}"${didYouMean(key, known)}; this runbook takes ${known.length ? known.join(', ') : 'no parameters'}`,
      );
    }
  }
  for (const [name, param] of Object.entries(declared)) {
    const given = vars[name];
    if (given === undefined) {
      if (param.default === undefined) problems.push(`missing --var ${name}=... (${param.description})`);
      else bound[name] = param.default;
      continue;
    }
    if (param.secret) secrets.add(given);
    try {
      const value = convert(name, param, given);
      const problem = checkParamValue(param, value);
      if (problem) problems.push(`--var ${name} ${param.secret ? 'is not valid' : problem}`);
      else bound[name] = value;
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (problems.length > 0) {
    throw invalidInput(
      'BAD_PARAMS',
      `invalid parameters for runbook "${runbook.name}":\n  ${problems.join('\n  ')}`,
      'pass each parameter as --var NAME=VALUE; the runbook\'s "params" section lists them with their descriptions',
      { problems },
    );
  }
  return bound;
}

/** Names of params marked secret (not stored in the journal). */
export function secretParamNames(runbook: Runbook): string[] {
  return Object.entries(runbook.params ?? {})
    .filter(([, param]) => param.secret === true)
    .map(([name]) => name);
}
