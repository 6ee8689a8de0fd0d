import { invalidInput } from '../../errors/index.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandSpec } from '../command.interface.js';
import { writeLine } from '../io.js';
import { targetOptions } from '../run-options.js';

const FORMATS = ['text', 'json', 'markdown', 'junit'] as const;
type ShowFormat = (typeof FORMATS)[number];

export const command: CommandSpec = {
  name: 'show',
  summary: "Tell a run's story from its journal: steps, safety record, every server from → to",
  usage: 'RUN-ID [--state-dir DIR] [--output text|json|markdown|junit]',
  description: `
Reads the run's journal (<state dir>/runs/RUN-ID.jsonl) and prints what happened: each step with
its status, attempts and duration; the safety record (when the host was read back powered off,
through which BMC, or the operator's --assume-fenced assertion); when it was forced down; and
every server with its source and destination host, attempts and seconds. Works on finished,
failed and interrupted runs (an unfinished run shows as "incomplete"). Contacts nothing.

--output markdown writes a summary for CI (append it to $GITHUB_STEP_SUMMARY); --output junit
writes a JUnit XML report, one test case per step and per server (GitLab's
artifacts:reports:junit); --output json prints the story as one JSON document.

Examples:
  forcedown show 20261125T114710Z-host-failure-3f9a1c
  forcedown show "$RUN_ID" --output markdown >> "$GITHUB_STEP_SUMMARY"
  forcedown show "$RUN_ID" --output junit > forcedown-junit.xml

Exit codes: 0 shown; 2 unknown run or bad option.`,
  positionals: [1, 1],
  options: {
    'state-dir': targetOptions['state-dir'],
    output: {
      type: 'string',
      valueName: 'FORMAT',
      description: 'text, json, markdown or junit',
      defaultText: 'text',
    },
  },
  async run(args, context) {
    const output = (args.values.output as string | undefined) ?? 'text';
    if (!(FORMATS as readonly string[]).includes(output))
      throw invalidInput('USAGE', `--output must be ${FORMATS.join(', ')}, not "${output}"`, 'e.g. --output markdown');
    const { resolveStateDir } = await import('../../runner/index.js');
    const report = await import('../../report/index.js');
    const stateDir = resolveStateDir(args.values['state-dir'] as string | undefined, context.env, context.cwd);
    const story = await report.loadStory(stateDir, args.positionals[0]);
    const render: Record<ShowFormat, () => string> = {
      text: () => report.formatStoryText(story),
      json: () => JSON.stringify(story, null, 2),
      markdown: () => report.formatStoryMarkdown(story).trimEnd(),
      junit: () => report.formatStoryJunit(story).trimEnd(),
    };
    writeLine(context.stdout, render[output as ShowFormat]());
    return ExitCode.Ok;
  },
};
