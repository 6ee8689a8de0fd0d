#!/usr/bin/env node
// Samples the command line (and parent pid) of every process in /proc as fast as it can, and the
// mode of every lock file under STATE_DIR/locks, until SIGTERM; then writes what it saw to OUT as
// JSON: { sweeps, ms, processes: [{pid, ppid, argv}], locks: [{file, mode}] }. ipmitool lives for
// ~40 ms, so a sweep every few ms sees it. Used by secret-scan.test.ts (its own process, so the
// test's event loop does not slow the sampling down).
//
//   node proc-sampler.mjs OUT STATE_DIR
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// only when run as a program (a test runner given a loose pattern may import this file)
const main = process.argv[1]?.endsWith('proc-sampler.mjs') === true;
const [out, stateDir] = main ? process.argv.slice(2) : [];
const seen = new Map();
const locks = new Map();
let stop = false;
let sweeps = 0;
const started = Date.now();
process.on('SIGTERM', () => {
  stop = true;
});

function sweep() {
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) > 57 || name.charCodeAt(0) < 48) continue;
    let cmdline;
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, 'latin1');
    } catch {
      continue;
    }
    if (cmdline === '') continue;
    const key = `${name}\u0001${cmdline}`;
    if (seen.has(key)) continue;
    let ppid = 0;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      // gone meanwhile
    }
    seen.set(key, { pid: Number(name), ppid, argv: (cmdline.endsWith('\u0000') ? cmdline.slice(0, -1) : cmdline).split('\u0000') });
  }
  if (stateDir) {
    try {
      for (const file of readdirSync(join(stateDir, 'locks'))) {
        try {
          locks.set(file, statSync(join(stateDir, 'locks', file)).mode & 0o777);
        } catch {
          // released meanwhile
        }
      }
    } catch {
      // no locks directory yet
    }
  }
  sweeps += 1;
}

if (main) {
  while (!stop) {
    sweep();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  writeFileSync(out, JSON.stringify({ sweeps, ms: Date.now() - started, processes: [...seen.values()], locks: [...locks].map(([file, mode]) => ({ file, mode })) }));
}
