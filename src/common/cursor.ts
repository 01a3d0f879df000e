import { createHash, createHmac, createSecretKey, hkdfSync, KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidInputException } from './validation';

/**
 * The HMAC-SHA256 key cursors are signed with. setupApp sets it from the configuration
 * (CURSOR_SIGNING_KEY, else derived from the first TOKEN_ENCRYPTION_KEYS key); until then a
 * random per-process key, so an unconfigured process never accepts a cursor it did not make.
 */
// made once: given raw bytes, createHmac imports them on every call (4x the HMAC's cost on Node 24)
let signingKey: KeyObject = createSecretKey(randomBytes(32));

export function configureCursorSigning(config: { cursorSigningKey?: string; encryptionKeys: { key: Buffer }[] }): void {
  signingKey = createSecretKey(
    config.cursorSigningKey
      ? Buffer.from(config.cursorSigningKey, 'utf8')
      : Buffer.from(hkdfSync('sha256', config.encryptionKeys[0].key, Buffer.alloc(0), 'spotify-sync cursor signing v1', 32)),
  );
}

function sign(payload: string): Buffer {
  return createHmac('sha256', signingKey).update(payload).digest();
}

const invalid = () => new InvalidInputException([{ field: 'cursor', reasons: ['cursor is not valid'] }]);

/**
 * Opaque keyset cursors. A cursor carries the last row's sort values and a fingerprint of the
 * sort and filters it came from, so reusing it with other filters is refused instead of
 * silently skipping rows.
 */
export interface CursorPayload {
  /** fingerprint of sort + filters */
  f: string;
  /** sort values of the last row, then its id */
  k: (string | number | null)[];
}

export function fingerprint(query: Record<string, unknown>): string {
  const normal = Object.keys(query)
    .filter((key) => key !== 'cursor' && key !== 'limit' && query[key] !== undefined)
    .sort()
    .map((key) => [key, query[key] instanceof Date ? (query[key] as Date).toISOString() : query[key]]);
  return createHash('sha256').update(JSON.stringify(normal)).digest('base64url').slice(0, 16);
}

/** `<base64url payload>.<base64url HMAC of it>` */
export function encodeCursor(payload: CursorPayload): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${sign(body).toString('base64url')}`;
}

export function decodeCursor(cursor: string, expectedFingerprint: string): CursorPayload['k'] {
  const [body, mac, ...rest] = cursor.split('.');
  // compared as text: base64url's unused low bits would let several spellings decode to one MAC
  const given = Buffer.from(mac ?? '');
  const expected = Buffer.from(sign(body).toString('base64url'));
  if (rest.length > 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  let payload: CursorPayload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const isKey = (v: unknown) => v === null || typeof v === 'string' || typeof v === 'number';
  if (!payload || typeof payload.f !== 'string' || !Array.isArray(payload.k) || !payload.k.every(isKey)) {
    throw invalid();
  }
  if (payload.f !== expectedFingerprint) {
    throw new InvalidInputException([
      { field: 'cursor', reasons: ['cursor belongs to a different sort or filters; start again without it'] },
    ]);
  }
  return payload.k;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * A page from keyset rows fetched with limit + 1. Each row carries its sort value as
 * `cursor_key` (text, so timestamps keep their microseconds); the extra row only says there is more.
 */
export function keysetPage<T>(
  rows: Record<string, unknown>[],
  query: Record<string, unknown> & { limit?: number },
  toItem: (row: Record<string, unknown>) => T,
): Page<T> {
  const limit = query.limit ?? 50;
  const pageRows = rows.slice(0, limit);
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(({ cursor_key: _key, ...row }) => toItem(row)),
    nextCursor:
      rows.length > limit && last
        ? encodeCursor({ f: fingerprint(query), k: [last.cursor_key as string | null, last.id as string] })
        : null,
  };
}
