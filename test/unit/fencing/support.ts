// Helpers shared by the fencing unit tests (not a test file itself).
import * as assert from 'uvu/assert';
import { spawnHistory } from '../../../src/exec/index.js';
import { FencingError } from '../../../src/fencing/index.js';

/** Every text an error exposes: message, hint, JSON, stack, and the same for its causes. */
export function errorTexts(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 10; depth++) {
    if (current instanceof Error) {
      parts.push(current.message, current.stack ?? '');
      const withJson = current as Error & { toJSON?: () => unknown; hint?: string; stderr?: string; stdout?: string };
      if (typeof withJson.toJSON === 'function') parts.push(JSON.stringify(withJson.toJSON()));
      if (withJson.hint) parts.push(withJson.hint);
      if (withJson.stderr) parts.push(withJson.stderr);
      if (withJson.stdout) parts.push(withJson.stdout);
      current = current.cause;
    } else {
      parts.push(typeof current === 'string' ? current : JSON.stringify(current));
      break;
    }
  }
  return parts.join('\n');
}

/** Asserts that `secret` appears nowhere in the error (message, hint, JSON, causes) nor in any spawn's argv. */
export function assertNoSecret(error: unknown, ...secretValues: string[]): void {
  const text = errorTexts(error);
  const argv = JSON.stringify(spawnHistory());
  for (const secret of secretValues) {
    assert.not.ok(text.includes(secret), `secret leaked into the error: ${text}`);
    assert.not.ok(argv.includes(secret), 'secret leaked into a spawn argv');
  }
}

/** Awaits `promise`, expecting a FencingError, and returns it. */
export async function rejection(promise: Promise<unknown>): Promise<FencingError> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, FencingError, `expected a FencingError, got ${String(error)}`);
    return error as FencingError;
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}
