import { createHash } from 'node:crypto';

/** The IETF draft's key: 1 to 255 visible ASCII characters (VCHAR, %x21-7E). */
const KEY = /^[\x21-\x7E]{1,255}$/;
export const KEY_RULE = 'must be 1 to 255 visible ASCII characters (no spaces), e.g. a UUID';

/** The header as Node gives it (repeated headers are joined with ", ", which the rule refuses). */
export function parseIdempotencyKey(header: string | string[] | undefined): { key: string } | { error: string } | null {
  if (header === undefined) return null;
  const value = Array.isArray(header) ? header.join(', ') : header;
  return KEY.test(value) ? { key: value } : { error: KEY_RULE };
}

/** JSON with object keys sorted at every level, so {a,b} and {b,a} are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export const requestFingerprint = (method: string, path: string, body: unknown) =>
  sha256(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`);

/** Keys are scoped to the API key; only its digest is stored. */
export const apiKeyDigest = (apiKey: string) => sha256(apiKey);

/**
 * Final answers are stored and replayed: 2xx and 4xx. Not stored (the key is freed, a retry
 * runs again): 5xx, and the 4xx that say "try again" (408, 409, 425, 429).
 */
export const isStorableStatus = (status: number) =>
  (status >= 200 && status < 300) || (status >= 400 && status < 500 && ![408, 409, 425, 429].includes(status));
