/**
 * The story for CI: Markdown (for `$GITHUB_STEP_SUMMARY`, merge-request notes) and JUnit XML
 * (GitLab's `artifacts:reports:junit`, Jenkins...). One test case per step and per server, so a
 * failed evacuation shows up as a failed test with its reason.
 */
import {
  describeSafety,
  formatMs,
  headline,
  offset,
  outcomeSentences,
  serverAttempts,
  stepStatus,
} from './format-text.js';
import type { RunStory, ServerStory, StepStory } from './story.js';

/** Escapes text for a Markdown table cell (and keeps it on one line). */
function cell(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/[\\`*_[\]<>|]/g, (ch) => `\\${ch}`)
    .slice(0, 300);
}

const ICON: Readonly<Record<string, string>> = {
  changed: '✅',
  unchanged: '✅',
  evacuated: '✅',
  skipped: '⏭️',
  'not-run': '⏭️',
  reset: '⚠️',
  failed: '❌',
  running: '⏳',
  'in-flight': '⏳',
};

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}

/** The story as GitHub-flavoured Markdown. */
export function formatStoryMarkdown(story: RunStory): string {
  const ok = story.status === 'succeeded';
  const lines = [
    `### ${ok ? '✅' : '❌'} forcedown ${cell(story.runbook.name)} on ${cell(story.hosts.join(', ') || 'no host')}: ${cell(headline(story))}`,
    '',
    `Run \`${story.runId}\` started ${story.startedAt} on ${cell(story.machine)}.`,
  ];
  if (story.error) lines.push('', `**${cell(story.error.message)}**`, '', `What to do: ${cell(story.error.hint)}`);
  const outcome = outcomeSentences(story);
  if (outcome.length > 0) lines.push('', ...outcome.map((line) => `- ${cell(line)}`));
  lines.push('', '**Safety:**');
  for (const record of story.safety) lines.push(`- ${cell(describeSafety(record))}`);
  if (story.safety.length === 0) lines.push('- no fence confirmed and none asserted');
  if (story.downAt) lines.push(`- forced down at ${story.downAt} (${offset(story, story.downAt)})`);
  lines.push(
    '',
    ...table(
      ['step', 'type', 'status', 'attempts', 'duration', 'result'],
      story.steps.map((s) => [
        `\`${cell(s.id)}\``,
        cell(s.type),
        `${ICON[s.status] ?? ''} ${stepStatus(s, story.dryRun)}`,
        String(s.attempts || '-'),
        formatMs(s.durationMs),
        cell((s.error ?? s.summary).split('\n')[0]),
      ]),
    ),
  );
  if (story.servers.length > 0)
    lines.push(
      '',
      ...table(
        ['server', 'result', 'from → to', 'attempts', 'seconds', 'reason'],
        story.servers.map((s) => [
          `${cell(s.name)} (\`${s.id}\`)`,
          `${ICON[s.result] ?? ''} ${s.result}`,
          `${cell(s.fromHost ?? story.hosts[0] ?? '?')} → ${cell(s.toHost ?? '-')}`,
          serverAttempts(s),
          s.seconds === undefined ? '-' : s.seconds.toFixed(1),
          cell(s.reason ?? ''),
        ]),
      ),
    );
  return `${lines.join('\n')}\n`;
}

/** Escapes text for XML attributes and content; drops characters XML 1.0 cannot hold. */
export function xml(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

function testcase(classname: string, name: string, seconds: number | undefined, body: string): string {
  const time = seconds === undefined ? '0' : seconds.toFixed(3);
  return `    <testcase classname="${xml(classname)}" name="${xml(name)}" time="${time}"${body ? `>\n${body}\n    </testcase>` : ' />'}`;
}

function stepCase(story: RunStory, step: StepStory): string {
  const classname = `forcedown.${story.runbook.name}.steps`;
  let body: string;
  if (step.status === 'failed' || step.status === 'running')
    body = `      <failure message="${xml((step.error ?? step.summary) || step.status)}" type="${step.status}">${xml(step.summary)}</failure>`;
  else if (step.status === 'skipped' || step.status === 'not-run')
    body = `      <skipped message="${xml(step.summary || step.status)}" />`;
  else body = `      <system-out>${xml(`${stepStatus(step, story.dryRun)}: ${step.summary}`)}</system-out>`;
  return testcase(classname, `${step.id} (${step.type})`, (step.durationMs ?? 0) / 1000, body);
}

function serverCase(story: RunStory, server: ServerStory): string {
  const classname = `forcedown.${story.runbook.name}.servers`;
  const route = `${server.fromHost ?? story.hosts[0] ?? '?'} -> ${server.toHost ?? '-'}`;
  const detail = `${server.result} ${route}, ${serverAttempts(server)} attempt(s)${server.reason ? `: ${server.reason}` : ''}`;
  let body = `      <system-out>${xml(detail)}</system-out>`;
  if (server.result === 'failed' || server.result === 'in-flight' || server.result === 'reset')
    body = `      <failure message="${xml(server.reason ?? server.result)}" type="${server.result}">${xml(detail)}</failure>`;
  else if (server.result === 'skipped') body = `      <skipped message="${xml(server.reason ?? 'skipped')}" />`;
  return testcase(classname, `${server.name} (${server.id})`, server.seconds, body);
}

/** The story as a JUnit XML report: one suite for the run, a test case per step and per server. */
export function formatStoryJunit(story: RunStory): string {
  const cases = [...story.steps.map((s) => stepCase(story, s)), ...story.servers.map((s) => serverCase(story, s))];
  const failures = cases.filter((c) => c.includes('<failure ')).length;
  const skipped = cases.filter((c) => c.includes('<skipped ')).length;
  const name = `forcedown ${story.runbook.name} ${story.hosts.join(',')} (${story.runId})`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="forcedown" tests="${cases.length}" failures="${failures}" time="${(story.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="${xml(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" timestamp="${xml(story.startedAt)}" time="${(story.durationMs / 1000).toFixed(3)}">`,
    `    <properties>\n${story.safety.map((r) => `      <property name="safety.${r.kind}" value="${xml(describeSafety(r))}" />`).join('\n')}\n      <property name="status" value="${xml(headline(story))}" />\n${outcomeSentences(
      story,
    )
      .map((line) => `      <property name="outcome" value="${xml(line)}" />\n`)
      .join('')}    </properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
