/**
 * Provider log lines on stderr, as hclog JSON (go-plugin reads the plugin's stderr and forwards
 * JSON lines into Terraform's log at their level: visible with `TF_LOG=debug`). Redacted.
 */
import { redactDeep } from '../secrets/index.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** Where log lines go. @defaultValue `process.stderr` */
export type LogSink = (line: string) => void;

let sink: LogSink = (line) => {
  process.stderr.write(line);
};

/** Replaces the sink (tests). Returns the previous one. */
export function setLogSink(next: LogSink): LogSink {
  const previous = sink;
  sink = next;
  return previous;
}

export function log(level: LogLevel, message: string, fields: Readonly<Record<string, unknown>> = {}): void {
  const entry = redactDeep({
    '@level': level,
    '@message': message,
    '@module': 'forcedown',
    '@timestamp': new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'),
    ...fields,
  });
  sink(`${JSON.stringify(entry)}\n`);
}
