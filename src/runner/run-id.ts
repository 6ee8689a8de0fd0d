import { randomBytes } from 'node:crypto';

/** A sortable, readable run id: `20261125T114710Z-host-failure-3f9a1c`. */
export function newRunId(runbookName: string, now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `${stamp}-${runbookName.slice(0, 40)}-${randomBytes(3).toString('hex')}`;
}

/** True for strings shaped like a run id (also guards path traversal in `resume <id>`). */
export function isRunId(text: string): boolean {
  return /^\d{8}T\d{6}Z-[a-z0-9-]{1,40}-[0-9a-f]{6}$/.test(text);
}
