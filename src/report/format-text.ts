/** `forcedown show RUN-ID`: the story as text for a terminal (and shared wording for the others). */
import type { RunStory, SafetyRecord, ServerStory, StepStory } from './story.js';
import { STATUS_LABEL } from './status-label.js';
import { renderTable } from './table.js';

/** A duration for people: 850 ms, 12.3 s, 4 min 05 s. */
export function formatMs(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(1)} s`;
  const minutes = Math.floor(value / 60_000);
  return `${minutes} min ${String(Math.round((value % 60_000) / 1000)).padStart(2, '0')} s`;
}

/** A time as an offset from the run's start: `+1.23 s`. */
export function offset(story: RunStory, at: string | undefined): string {
  if (at === undefined) return '-';
  const value = Date.parse(at) - Date.parse(story.startedAt);
  return Number.isFinite(value) ? `+${(value / 1000).toFixed(2)} s` : '-';
}

/** One line of the safety record. */
export function describeSafety(record: SafetyRecord): string {
  if (record.kind === 'fence-confirmed') {
    const bmc = `${record.target ?? '?'} (${record.driver ?? '?'})`;
    return `${record.host} powered off, read back off at ${record.at} from its BMC ${bmc}${record.stepId ? ` (step ${record.stepId})` : ''}`;
  }
  if (record.kind === 'assumed-fenced')
    return `${record.host} NOT read back: fence asserted by the operator at ${record.at}: "${record.reason ?? ''}"`;
  return `${record.host}: a stale lock was broken at ${record.at}: "${record.reason ?? ''}"`;
}

/** The run's headline: id, runbook, hosts, outcome. */
export function headline(story: RunStory): string {
  const exit = story.exitCode === undefined ? '' : ` (exit ${story.exitCode})`;
  const dry = story.dryRun ? ', dry run: nothing was changed' : '';
  return `${STATUS_LABEL[story.status]}${exit} in ${formatMs(story.durationMs)}${dry}`;
}

/**
 * What the run's end means for the hosts, in sentences: a pre-flight stop (nothing done), what
 * changed before a failure (the state to look at before acting again).
 */
export function outcomeSentences(story: RunStory): string[] {
  const lines: string[] = [];
  if (story.preflightFailed)
    lines.push('pre-flight stopped the run before its first action: nothing was changed, no BMC was contacted');
  const ended = story.status === 'succeeded' ? 'changed' : 'changed before the run stopped';
  if (story.changed.length > 0 && !story.dryRun) lines.push(`${ended}: ${story.changed.join(', ')}`);
  return lines;
}

/** What steps said while they worked (wait notices...): the last few of each step, with offsets. */
export function outputLines(story: RunStory, perStep = 5): string[] {
  return story.steps.flatMap((step) => {
    const shown = step.output.slice(-perStep);
    const more = step.output.length - shown.length;
    return [
      ...(more > 0 ? [`${step.id}: (${more} earlier line${more === 1 ? '' : 's'})`] : []),
      ...shown.map((line) => `${step.id} ${offset(story, line.at)}: ${line.message.split('\n')[0].slice(0, 200)}`),
    ];
  });
}

export function stepStatus(step: StepStory, dryRun: boolean): string {
  return dryRun && step.status === 'changed' ? 'would change' : step.status;
}

export function serverAttempts(server: ServerStory): string {
  return server.attempts === 0 ? '-' : String(server.attempts);
}

function stepTable(story: RunStory): string {
  return renderTable(
    ['STEP', 'TYPE', 'STATUS', 'ATTEMPTS', 'AT', 'DURATION', 'RESULT'],
    story.steps.map((step) => [
      step.id,
      step.type,
      `${stepStatus(step, story.dryRun)}${step.fromJournal ? ' (journal)' : ''}`,
      String(step.attempts || '-'),
      offset(story, step.startedAt),
      formatMs(step.durationMs),
      (step.error ?? step.summary).split('\n')[0].slice(0, 100),
    ]),
  );
}

function serverTable(story: RunStory): string {
  return renderTable(
    ['SERVER', 'NAME', 'RESULT', 'FROM', 'TO', 'ATTEMPTS', 'SECONDS', 'REASON'],
    story.servers.map((server) => [
      server.id,
      server.name,
      server.result,
      server.fromHost ?? story.hosts[0] ?? '',
      server.toHost ?? '',
      serverAttempts(server),
      server.seconds === undefined ? '-' : server.seconds.toFixed(1),
      server.reason ?? '',
    ]),
  );
}

/** The whole story as text. */
export function formatStoryText(story: RunStory): string {
  const lines = [
    `run ${story.runId}: ${story.runbook.name} (${story.runbook.file}) on ${story.hosts.join(', ') || 'no host'}`,
    `${headline(story)}; started ${story.startedAt} on ${story.machine}`,
    ...story.resumes.map((resume) => `resumed at ${resume.at} on ${resume.machine}`),
  ];
  if (story.error) lines.push(`error: ${story.error.message}`, `what to do: ${story.error.hint}`);
  lines.push(...outcomeSentences(story));
  lines.push('', 'safety:');
  if (story.safety.length === 0) lines.push('  no fence confirmed and none asserted in this run');
  for (const record of story.safety) lines.push(`  ${describeSafety(record)}`);
  if (story.downAt) lines.push(`  forced down at ${story.downAt} (${offset(story, story.downAt)})`);
  lines.push('', stepTable(story));
  if (story.servers.length > 0) lines.push('', serverTable(story));
  const output = outputLines(story);
  if (output.length > 0) lines.push('', 'step output:', ...output.map((line) => `  ${line}`));
  if (story.truncatedTail) lines.push('', 'note: the journal ends in a cut-off line (the process died mid-write)');
  lines.push('', `journal: ${story.journalPath}`);
  if (story.resumable) lines.push(`continue with: forcedown resume ${story.runId}`);
  return lines.join('\n');
}
