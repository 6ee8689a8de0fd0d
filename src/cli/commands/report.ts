import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { invalidInput } from '../../errors/index.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandSpec } from '../command.interface.js';
import { writeLine } from '../io.js';
import { targetOptions } from '../run-options.js';

export const command: CommandSpec = {
  name: 'report',
  summary: 'Write a run as one self-contained HTML page with a timeline, for postmortems',
  usage: 'RUN-ID --html FILE [--state-dir DIR]',
  description: `
Reads the run's journal and writes one HTML file that needs nothing else (no scripts, no
external assets; mail it, attach it to the incident): the outcome, the safety record, a timeline
picture — each step as a bar, the fence and "down" moments as lines, every server's evacuation
as a bar from request to confirmation, failed attempts and failures marked ✕, retried steps ↻ —
and the step and server tables. \`--html -\` writes the page to stdout. Contacts nothing.

Examples:
  forcedown report 20261125T114710Z-host-failure-3f9a1c --html INC-4711.html
  forcedown report "$RUN_ID" --html - > report.html

Exit codes: 0 written; 2 unknown run, missing --html, or the file cannot be written.`,
  positionals: [1, 1],
  options: {
    html: { type: 'string', valueName: 'FILE', description: 'Where to write the page (- for stdout)' },
    'state-dir': targetOptions['state-dir'],
  },
  async run(args, context) {
    const target = args.values.html as string | undefined;
    if (target === undefined || target === '')
      throw invalidInput(
        'USAGE',
        'forcedown report: --html FILE is required',
        'e.g. forcedown report RUN-ID --html report.html',
      );
    const { resolveStateDir } = await import('../../runner/index.js');
    const { loadStory, renderStoryHtml } = await import('../../report/index.js');
    const stateDir = resolveStateDir(args.values['state-dir'] as string | undefined, context.env, context.cwd);
    const html = renderStoryHtml(await loadStory(stateDir, args.positionals[0]));
    if (target === '-') {
      context.stdout.write(html);
      return ExitCode.Ok;
    }
    const path = resolve(context.cwd, target);
    try {
      await writeFile(path, html, { mode: 0o600 });
    } catch (error) {
      throw invalidInput(
        'REPORT_UNWRITABLE',
        `cannot write ${target}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        'check that the directory exists and is writable',
      );
    }
    writeLine(context.stdout, `report: ${path}`);
    return ExitCode.Ok;
  },
};
