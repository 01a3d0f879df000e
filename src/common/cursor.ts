import { createHash } from 'node:crypto';
import { InvalidInputException } from './validation';

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

export function encodeCursor(payload: CursorPayload): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeCursor(cursor: string, expectedFingerprint: string): CursorPayload['k'] {
  let payload: CursorPayload;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidInputException([{ field: 'cursor', reasons: ['cursor is not valid'] }]);
  }
  if (!payload || typeof payload.f !== 'string' || !Array.isArray(payload.k)) {
    throw new InvalidInputException([{ field: 'cursor', reasons: ['cursor is not valid'] }]);
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
