/**
 * An event's free-form field (`data.serverId`, `message`...) as text: the value when it is a
 * string or a number, `fallback` when it is absent or anything else.
 */
export function eventText(value: unknown, fallback = ''): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return fallback;
}
