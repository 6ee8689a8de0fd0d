import type { CommandEntry } from './command.interface.js';

export type { CommandEntry } from './command.interface.js';

/** Every `forcedown` subcommand, in the order `--help` lists them. */
export const commands: readonly CommandEntry[] = [
  {
    name: 'validate',
    summary: 'Check runbooks and inventories against their schemas (all problems at once)',
    load: async () => (await import('./commands/validate.js')).command,
  },
  {
    name: 'plan',
    summary: 'Show what each step of a runbook would do now, changing nothing',
    load: async () => (await import('./commands/plan.js')).command,
  },
  {
    name: 'run',
    summary: 'Run a runbook (fence, force down, evacuate...)',
    load: async () => (await import('./commands/run.js')).command,
  },
  {
    name: 'resume',
    summary: 'Continue an interrupted run from its journal',
    load: async () => (await import('./commands/resume.js')).command,
  },
  {
    name: 'watch',
    summary: 'Always-on recovery: notice failed computes, recover them with a runbook',
    load: async () => (await import('./commands/watch.js')).command,
  },
  {
    name: 'runs',
    summary: 'List runs recorded in the state directory',
    load: async () => (await import('./commands/runs.js')).command,
  },
  {
    name: 'show',
    summary: "Tell a run's story from its journal (text, json, markdown, junit)",
    load: async () => (await import('./commands/show.js')).command,
  },
  {
    name: 'report',
    summary: 'Write a run as a self-contained HTML page with a timeline',
    load: async () => (await import('./commands/report.js')).command,
  },
  {
    name: 'services',
    summary: 'List compute services with forced_down, state, status and reason',
    load: async () => (await import('./commands/services.js')).command,
  },
  {
    name: 'provider',
    summary: 'Install or serve the Terraform provider (forcedown_compute_service)',
    load: async () => (await import('./commands/provider.js')).command,
  },
  {
    name: 'completion',
    summary: 'Print shell completion for bash or zsh',
    // the table is handed in, so completion does not import this file (no import cycle)
    load: async () => (await import('./commands/completion.js')).completionCommand(commands),
  },
];
