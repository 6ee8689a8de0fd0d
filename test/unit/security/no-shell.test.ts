import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

/**
 * No shell anywhere: forcedown starts programs only through src/exec (execa with `shell: false`),
 * never through a shell, and never evaluates text as code. Lint blocks the imports; this scans
 * the source for every other way in (dynamic import, require, process.binding, a shell option,
 * `sh -c`, /bin/sh, eval, new Function), so that it fails on the first line that adds one.
 */
const root = join(import.meta.dirname, '../../..');

/** Deliberate, reviewed exceptions: file -> what may appear there and why. */
const ALLOWED: Readonly<Record<string, { readonly pattern: RegExp; readonly why: string }>> = {
  'src/provider/install.ts': {
    pattern: /^\s*'#!\/bin\/sh',$/,
    why: 'writes the Terraform provider launcher (a script Terraform executes: exec node ENTRY); forcedown never runs it',
  },
};

interface Finding {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly rule: string;
}

const RULES: readonly { readonly rule: string; readonly pattern: RegExp; readonly outsideExecOnly?: boolean }[] = [
  { rule: 'a shell option other than false', pattern: /\bshell\s*:\s*(?!false\b)\S/ },
  { rule: 'a shell program', pattern: /['"`#!]\s*\/(?:usr\/)?bin\/(?:ba|z|da|k|c|tc)?sh\b/ },
  { rule: 'sh -c', pattern: /\b(?:ba|z|da)?sh['"`]?\s*,?\s*\[?\s*['"`]?-c\b/ },
  { rule: 'child_process outside src/exec', pattern: /['"`](?:node:)?child_process['"`]/, outsideExecOnly: true },
  { rule: 'execa outside src/exec', pattern: /(?:from|import\(|require\()\s*['"`]execa['"`]/, outsideExecOnly: true },
  { rule: 'process.binding', pattern: /process\s*\.\s*(?:binding|_linkedBinding)\s*\(/ },
  { rule: 'eval', pattern: /(?<![.\w])eval\s*\(/ },
  { rule: 'new Function', pattern: /\bnew\s+Function\s*\(/ },
  { rule: 'vm module', pattern: /['"`](?:node:)?vm['"`]/ },
];

/** The findings in one file's text. */
export function scan(file: string, text: string): Finding[] {
  const findings: Finding[] = [];
  const inExec = file.startsWith('src/exec/');
  text.split('\n').forEach((line, index) => {
    for (const { rule, pattern, outsideExecOnly } of RULES) {
      if (outsideExecOnly && inExec) continue;
      if (!pattern.test(line)) continue;
      const allowed = ALLOWED[file];
      if (allowed && allowed.pattern.test(line)) continue;
      findings.push({ file, line: index + 1, text: line.trim(), rule });
    }
  });
  return findings;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|js|mjs|cjs)$/.test(name)) out.push(path);
  }
  return out;
}

test('the scanner flags each way to a shell (it can fail)', () => {
  const planted = [
    "execa('ls', [], { shell: true })",
    "spawn(cmd, { shell: '/bin/bash' })",
    "run('/bin/sh', ['-c', text])",
    "run('sh', ['-c', text])",
    "const cp = await import('node:child_process')",
    "const { spawn } = require('child_process')",
    "import { execa } from 'execa'",
    "process.binding('spawn_sync')",
    'eval(template)',
    'new Function("return " + text)',
    "import vm from 'node:vm'",
  ];
  for (const line of planted) assert.ok(scan('src/steps/x.ts', line).length > 0, `not flagged: ${line}`);
  assert.equal(scan('src/exec/exec.ts', "import { execa } from 'execa';\nshell: false,"), []);
  assert.equal(
    scan(
      'src/steps/x.ts',
      "const match = /x/.exec(text); // a RegExp's exec is no process\nrun(file, args, { shell: false })",
    ),
    [],
  );
});

test('src/ starts no shell and evaluates no code; only src/exec spawns', () => {
  const files = sources(join(root, 'src'));
  assert.ok(files.length > 50, `scanned ${files.length} files`);
  const findings = files.flatMap((path) => scan(relative(root, path), readFileSync(path, 'utf8')));
  assert.equal(
    findings.map((f) => `${f.file}:${f.line} ${f.rule}: ${f.text}`),
    [],
  );
  // the allowed exceptions still exist (an outdated entry would hide nothing, but is noise)
  for (const [file, { pattern }] of Object.entries(ALLOWED)) {
    assert.ok(
      readFileSync(join(root, file), 'utf8')
        .split('\n')
        .some((line) => pattern.test(line)),
      `${file}: exception no longer needed`,
    );
  }
});

test('src/exec spawns with shell: false, and bin/ starts nothing', () => {
  const exec = readFileSync(join(root, 'src/exec/exec.ts'), 'utf8');
  assert.match(exec, /execa\(file, \[\.\.\.args\], \{\s*shell: false,/);
  assert.is((exec.match(/\bexeca\(/g) ?? []).length, 1, 'one call site');
  for (const path of sources(join(root, 'bin')))
    assert.equal(scan(relative(root, path), readFileSync(path, 'utf8')), []);
});

test.run();
