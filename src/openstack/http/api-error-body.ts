/** Extracting the human message from OpenStack error bodies. */

/**
 * The message of an error body: Nova's `{"badRequest":{"code":400,"message":"..."}}`, Keystone's
 * `{"error":{"code":401,"message":"...","title":"Unauthorized"}}`, Glance's plain text / HTML.
 */
export function errorMessageOf(body: string): string {
  const text = body.trim();
  if (text === '') return '';
  if (text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null) {
        const record = parsed as Record<string, unknown>;
        if (typeof record.message === 'string') return record.message;
        for (const value of Object.values(record)) {
          if (
            typeof value === 'object' &&
            value !== null &&
            typeof (value as Record<string, unknown>).message === 'string'
          ) {
            return (value as Record<string, string>).message;
          }
        }
      }
    } catch {
      // not JSON after all: fall through to text
    }
  }
  // Glance/webob: "404 Not Found\n\nNo image found with ID x\n\n" or a small HTML page
  const plain = text
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > 500 ? `${plain.slice(0, 500)}…` : plain;
}
