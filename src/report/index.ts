/**
 * The story of a run, from its journal (through the runner's public API), and its renderings:
 * `forcedown show` (text, JSON, Markdown, JUnit) and `forcedown report --html`.
 */
import { readJournal } from '../runner/index.js';
import { buildStory } from './build-story.js';
import type { RunStory } from './story.js';

export { buildStory } from './build-story.js';
export { formatStoryJunit, formatStoryMarkdown } from './format-ci.js';
export { renderStoryHtml, timelineSvg } from './format-html.js';
export { formatMs, formatStoryText } from './format-text.js';
export type { RunStory, SafetyRecord, ServerStory, StepStory } from './story.js';
export { STATUS_LABEL } from './status-label.js';
export { renderTable } from './table.js';

/** Reads a run's journal and tells its story; an input error (exit 2) for an unknown run. */
export async function loadStory(stateDir: string, runId: string): Promise<RunStory> {
  return buildStory(await readJournal(stateDir, runId));
}
