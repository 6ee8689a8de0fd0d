/**
 * `forcedown report RUN-ID --html FILE`: one self-contained page for a postmortem — no scripts,
 * no external assets (a Content-Security-Policy forbids them) — with the run's headline, its
 * safety record, a timeline picture (steps, the fence and down markers, each server's
 * evacuation as a bar, failed attempts and failures marked) and the step and server tables.
 */
import { xml } from './format-ci.js';
import {
  describeSafety,
  formatMs,
  headline,
  offset,
  outcomeSentences,
  outputLines,
  serverAttempts,
  stepStatus,
} from './format-text.js';
import type { RunStory, ServerStory, StepStory } from './story.js';

const WIDTH = 1100;
const LABEL = 260;
const PLOT = WIDTH - LABEL - 30;
const ROW = 24;
const AXIS = 34;

const COLOURS: Readonly<Record<string, string>> = {
  changed: '#2e7d32',
  unchanged: '#81c784',
  evacuated: '#2e7d32',
  skipped: '#9e9e9e',
  'not-run': '#cfcfcf',
  reset: '#ef6c00',
  failed: '#c62828',
  running: '#1565c0',
  'in-flight': '#1565c0',
};

interface Scale {
  x(at: string | undefined): number;
  readonly spanMs: number;
}

function scaleFor(story: RunStory): Scale {
  const start = Date.parse(story.startedAt);
  const spanMs = Math.max(1, Date.parse(story.endedAt) - start);
  return {
    spanMs,
    x: (at) => {
      const value = at === undefined ? spanMs : Date.parse(at) - start;
      return LABEL + (Math.min(Math.max(value, 0), spanMs) / spanMs) * PLOT;
    },
  };
}

function axis(scale: Scale, height: number): string {
  const ticks: string[] = [];
  const step = [0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600].find(
    (s) => scale.spanMs / 1000 / s <= 10,
  );
  for (let t = 0; t * 1000 <= scale.spanMs && step !== undefined; t += step) {
    const x = LABEL + ((t * 1000) / scale.spanMs) * PLOT;
    ticks.push(
      `<line x1="${x.toFixed(1)}" y1="${AXIS - 6}" x2="${x.toFixed(1)}" y2="${height}" class="grid" />`,
      `<text x="${x.toFixed(1)}" y="${AXIS - 10}" class="tick">${+t.toFixed(2)} s</text>`,
    );
  }
  return ticks.join('\n');
}

function bar(
  scale: Scale,
  y: number,
  from: string | undefined,
  to: string | undefined,
  status: string,
  attrs: string,
): string {
  const x1 = scale.x(from);
  const x2 = Math.max(scale.x(to), x1 + 3);
  return `<rect x="${x1.toFixed(1)}" y="${y + 5}" width="${(x2 - x1).toFixed(1)}" height="${ROW - 10}" rx="3" fill="${COLOURS[status] ?? '#607d8b'}" class="bar" data-status="${xml(status)}" ${attrs} />`;
}

function mark(
  scale: Scale,
  y: number,
  at: string,
  kind: 'retry' | 'failed-attempt' | 'failure',
  title: string,
): string {
  const x = scale.x(at).toFixed(1);
  const symbol = kind === 'retry' ? '↻' : '✕';
  return `<text x="${x}" y="${y + ROW - 7}" class="mark ${kind}"><title>${xml(title)}</title>${symbol}</text>`;
}

function label(y: number, text: string, kind: string): string {
  return `<text x="${LABEL - 8}" y="${y + ROW - 8}" class="label ${kind}">${xml(text.length > 38 ? `${text.slice(0, 37)}…` : text)}</text>`;
}

function stepRow(scale: Scale, step: StepStory, y: number): string {
  if (step.startedAt === undefined) return label(y, `${step.id} (not run)`, 'step');
  const parts = [
    label(y, `${step.id} (${step.type})`, 'step'),
    bar(scale, y, step.startedAt, step.finishedAt, step.status, `data-step-id="${xml(step.id)}"`),
  ];
  for (const retry of step.retries)
    parts.push(mark(scale, y, retry.at, 'retry', `attempt ${retry.attempt} failed: ${retry.error}`));
  if (step.status === 'failed' && step.finishedAt)
    parts.push(mark(scale, y, step.finishedAt, 'failure', step.error ?? step.summary));
  return parts.join('\n');
}

function serverRow(scale: Scale, server: ServerStory, y: number, story: RunStory): string {
  const to = server.finishedAt ?? (server.result === 'in-flight' ? story.endedAt : server.requestedAt);
  const title = `${server.name}: ${server.result} ${server.fromHost ?? story.hosts[0] ?? '?'} → ${server.toHost ?? '-'} in ${server.seconds?.toFixed(1) ?? '-'} s, ${serverAttempts(server)} attempt(s)${server.reason ? `: ${server.reason}` : ''}`;
  const parts = [label(y, server.name, 'server')];
  if (server.requestedAt !== undefined) {
    const attrs = `data-server-id="${xml(server.id)}" data-result="${xml(server.result)}"`;
    parts.push(
      `<g class="server-bar">${bar(scale, y, server.requestedAt, to, server.result, attrs)}<title>${xml(title)}</title></g>`,
    );
  } else {
    parts.push(
      `<text x="${LABEL + 4}" y="${y + ROW - 8}" class="note" data-server-id="${xml(server.id)}" data-result="${xml(server.result)}">${xml(`${server.result}${server.reason ? `: ${server.reason}` : ''}`)}</text>`,
    );
  }
  for (const failed of server.failedAttempts) parts.push(mark(scale, y, failed.at, 'failed-attempt', failed.reason));
  if (server.result === 'failed' && server.finishedAt)
    parts.push(mark(scale, y, server.finishedAt, 'failure', server.reason ?? 'failed'));
  return parts.join('\n');
}

function marker(scale: Scale, at: string, kind: 'fence' | 'down', text: string, height: number): string {
  const x = scale.x(at).toFixed(1);
  // the fence's label ends at its line, down's starts at its own: they are often a second apart
  const anchor = kind === 'fence' ? 'end' : 'start';
  const dx = kind === 'fence' ? -4 : 4;
  return `<g class="marker ${kind}"><line x1="${x}" y1="${AXIS - 4}" x2="${x}" y2="${height}" /><text x="${x}" dx="${dx}" y="${height + 14}" text-anchor="${anchor}">${xml(text)}</text></g>`;
}

/** The timeline picture (inline SVG). */
export function timelineSvg(story: RunStory): string {
  const scale = scaleFor(story);
  const rows = [
    ...story.steps.map((step, index) => stepRow(scale, step, AXIS + index * ROW)),
    ...story.servers.map((server, index) =>
      serverRow(scale, server, AXIS + (story.steps.length + index) * ROW + 10, story),
    ),
  ];
  const height = AXIS + (story.steps.length + story.servers.length) * ROW + 16;
  const markers = [
    ...story.safety
      .filter((r) => r.kind === 'fence-confirmed')
      .map((r) => marker(scale, r.at, 'fence', `fenced ${r.host}`, height)),
    ...(story.downAt ? [marker(scale, story.downAt, 'down', 'down', height)] : []),
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${WIDTH}" height="${height + 24}" viewBox="0 0 ${WIDTH} ${height + 24}" role="img" aria-label="timeline of run ${xml(story.runId)}">
${axis(scale, height)}
${rows.join('\n')}
${markers.join('\n')}
</svg>`;
}

/** What steps said while they worked (wait notices...), if anything. */
function stepOutputHtml(story: RunStory): string {
  const lines = outputLines(story);
  if (lines.length === 0) return '';
  return `<h2>Step output</h2>\n<ul id="step-output">${lines.map((line) => `<li>${xml(line)}</li>`).join('\n')}</ul>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "DejaVu Sans", sans-serif; margin: 24px; color: #1b1b1b; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
.status-succeeded { color: #2e7d32; } .status-failed, .status-failed-after-changes, .status-refused, .status-invalid, .status-auth-failed { color: #c62828; }
.status-interrupted, .status-incomplete { color: #ef6c00; }
.meta { color: #555; } code { font-family: "DejaVu Sans Mono", monospace; font-size: 13px; }
table { border-collapse: collapse; margin-top: 4px; } th, td { border-bottom: 1px solid #ddd; padding: 3px 10px 3px 0; text-align: left; vertical-align: top; }
th { font-weight: 600; } td { white-space: nowrap; } td:last-child { white-space: normal; }
.safety li.assumed-fenced { color: #c62828; font-weight: 600; }
svg.timeline { border: 1px solid #e0e0e0; background: #fcfcfc; }
svg .grid { stroke: #eee; } svg .tick { font-size: 11px; fill: #777; text-anchor: middle; }
svg .label { font-size: 12px; text-anchor: end; fill: #333; } svg .label.server { fill: #555; }
svg .note { font-size: 11px; fill: #777; }
svg .mark { font-size: 15px; font-weight: 700; text-anchor: middle; }
svg .mark.failure, svg .mark.failed-attempt { fill: #b71c1c; } svg .mark.retry { fill: #e65100; }
svg .marker line { stroke-width: 2; stroke-dasharray: 4 3; } svg .marker text { font-size: 12px; font-weight: 600; }
svg .marker.fence line { stroke: #6a1b9a; } svg .marker.fence text { fill: #6a1b9a; }
svg .marker.down line { stroke: #0d47a1; } svg .marker.down text { fill: #0d47a1; }
.legend span { display: inline-block; margin-right: 14px; } .legend i { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; margin-right: 4px; }
`;

function htmlTable(headers: readonly string[], rows: readonly (readonly string[])[], id: string): string {
  const head = headers.map((h) => `<th>${xml(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((c) => `<td>${xml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table id="${id}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function legend(): string {
  const entries: [string, string][] = [
    ['evacuated / changed', COLOURS.evacuated],
    ['unchanged', COLOURS.unchanged],
    ['failed', COLOURS.failed],
    ['reset', COLOURS.reset],
    ['in flight', COLOURS['in-flight']],
    ['skipped', COLOURS.skipped],
  ];
  return `<p class="legend">${entries.map(([name, colour]) => `<span><i style="background:${colour}"></i>${name}</span>`).join('')}<span>✕ failed attempt or failure</span><span>↻ step retried</span></p>`;
}

/** The report page. */
export function renderStoryHtml(story: RunStory): string {
  const title = `forcedown ${story.runbook.name} on ${story.hosts.join(', ') || 'no host'} — ${story.runId}`;
  const safety = story.safety.map((r) => `<li class="${r.kind}">${xml(describeSafety(r))}</li>`);
  if (story.downAt)
    safety.push(`<li class="down">${xml(`forced down at ${story.downAt} (${offset(story, story.downAt)})`)}</li>`);
  if (safety.length === 0) safety.push('<li>no fence confirmed and none asserted in this run</li>');
  const steps = story.steps.map((s) => [
    s.id,
    s.type,
    stepStatus(s, story.dryRun),
    String(s.attempts || '-'),
    offset(story, s.startedAt),
    formatMs(s.durationMs),
    (s.error ?? s.summary).split('\n')[0],
  ]);
  const servers = story.servers.map((s) => [
    s.name,
    s.id,
    s.result,
    `${s.fromHost ?? story.hosts[0] ?? '?'} → ${s.toHost ?? '-'}`,
    serverAttempts(s),
    s.seconds === undefined ? '-' : s.seconds.toFixed(1),
    s.reason ?? '',
  ]);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${xml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${xml(`forcedown ${story.runbook.name} on ${story.hosts.join(', ') || 'no host'}`)}: <span id="status" class="status-${xml(story.status)}">${xml(headline(story))}</span></h1>
<p class="meta">Run <code>${xml(story.runId)}</code>, runbook <code>${xml(story.runbook.file)}</code>, started ${xml(story.startedAt)} on ${xml(story.machine)}${story.resumes.map((r) => `, resumed ${xml(r.at)} on ${xml(r.machine)}`).join('')}. Journal: <code>${xml(story.journalPath)}</code></p>
${story.error ? `<p id="error"><strong>${xml(story.error.message)}</strong><br>What to do: ${xml(story.error.hint)}</p>` : ''}
${outcomeSentences(story)
  .map((line) => `<p class="outcome">${xml(line)}</p>`)
  .join('\n')}
<h2>Safety record</h2>
<ul class="safety" id="safety">${safety.join('\n')}</ul>
<h2>Timeline</h2>
${legend()}
${timelineSvg(story)}
<h2>Steps</h2>
${htmlTable(['step', 'type', 'status', 'attempts', 'at', 'duration', 'result'], steps, 'steps')}
${stepOutputHtml(story)}
${servers.length > 0 ? `<h2>Servers</h2>\n${htmlTable(['name', 'id', 'result', 'from → to', 'attempts', 'seconds', 'reason'], servers, 'servers')}` : ''}
<p class="meta">Written by forcedown from the run's journal.</p>
</body>
</html>
`;
}
