import { invalidInput, operationFailed } from '../errors/index.js';
import type { NotifyStep } from '../generated/runbook.types.js';
import { formatDuration } from '../runbook/index.js';
import type { StepContext, StepModule } from './step.interface.js';
import { secrets } from '../secrets/index.js';
import { isLoopbackHost } from '../validation/index.js';
import { startWaitNotices } from '../wait-notices.js';

/** Parses and checks a webhook URL: https, or http to loopback only; no credentials in it. */
export function webhookUrl(text: string, stepId: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidInput(
      'WEBHOOK_URL_INVALID',
      `step "${stepId}": the webhook URL is not a valid URL`,
      'give an absolute https:// URL (e.g. through ${env.NAME} listed in the runbook\'s "env")',
    );
  }
  if (url.username || url.password) {
    throw invalidInput(
      'WEBHOOK_URL_INVALID',
      `step "${stepId}": the webhook URL carries credentials`,
      'put credentials in a header (headers: {"Authorization": "${env.TOKEN}"}), not in the URL',
    );
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw invalidInput(
      'WEBHOOK_URL_INVALID',
      `step "${stepId}": webhook URLs must use https (plain http is only allowed to loopback), not ${url.protocol}//${url.hostname}`,
      'use an https:// URL',
    );
  }
  // webhook paths often hold the only secret (Slack, Teams...): never print them
  if (url.pathname.length > 1 || url.search) secrets.add(`${url.pathname}${url.search}`);
  return url;
}

function describe(url: URL): string {
  return `${url.protocol}//${url.host}/…`;
}

async function post(s: NotifyStep, context: StepContext, url: URL): Promise<number> {
  const body = JSON.stringify({
    source: 'forcedown',
    runId: context.runId,
    step: context.stepId,
    message: s.message ?? null,
    summary: context.summarySoFar(),
  });
  // the step's timeout (default 10 s) bounds connecting and the answer (Node's fetch gives up
  // connecting after 10 s by itself); a longer wait says so every 4 s
  const stopNotices = startWaitNotices((waitedMs) =>
    context.output(
      `waiting for the webhook ${describe(url)}: no answer after ${formatDuration(waitedMs)}; gives up after ${formatDuration(context.timeoutMs)} (the step's timeout)`,
    ),
  );
  let response: Response;
  try {
    response = await context.services.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'forcedown', ...(s.headers ?? {}) },
      body,
      signal: context.signal,
      redirect: 'error',
    });
    await response.arrayBuffer().catch(() => undefined);
  } finally {
    stopNotices();
  }
  if (!response.ok) {
    throw operationFailed(
      'WEBHOOK_FAILED',
      `webhook ${describe(url)} answered HTTP ${response.status}`,
      'check the webhook URL and its credentials; the step retries if it has "retries"',
      { status: response.status },
    );
  }
  return response.status;
}

/** `notify`: POST the run summary (and a message) as JSON to a webhook. Never re-sent on resume. */
export const step: StepModule<NotifyStep> = {
  type: 'notify',
  defaultTimeoutMs: 10_000,
  // waits, asks or tells: changes nothing a run must report as changed
  sideEffects: false,
  title: () => 'notify webhook',
  async check(s, context) {
    for (const value of Object.values(s.headers ?? {})) secrets.add(value);
    const url = webhookUrl(s.url, context.stepId);
    return { needed: true, summary: `would POST the run summary to ${describe(url)}`, outputs: { status: 0 } };
  },
  async apply(s, context) {
    const url = webhookUrl(s.url, context.stepId);
    let status: number;
    try {
      status = await post(s, context, url);
    } catch (error) {
      if ((error as { code?: string }).code === 'WEBHOOK_FAILED') throw error;
      throw operationFailed(
        'WEBHOOK_FAILED',
        `could not POST to webhook ${describe(url)}: ${(error as Error).message}`,
        'check that the webhook is reachable from here',
        {},
        error,
      );
    }
    return { summary: `POSTed the run summary to ${describe(url)} (HTTP ${status})`, outputs: { status } };
  },
  async confirmJournaled() {
    return true;
  },
};
