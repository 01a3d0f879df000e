import type { RunningSandbox } from '../../sandbox/sandbox-server';
import { withClient } from './database';
import type { TestApp } from './test-app';
import type { TokenCipher } from '../../src/crypto/token-cipher.service';

export interface ConsentOptions {
  /** the Spotify account that consents */
  spotifyUserId: string;
  deny?: boolean;
}

/**
 * What a browser does: POST authorize (by the calling service), open the URL at the sandbox,
 * which consents and redirects; returns the callback path + query to send to the service.
 */
export async function consent(t: TestApp, userId: string, options: ConsentOptions): Promise<string> {
  return (await consentAttempt(t, userId, options)).callback;
}

/** consent(), also giving the attemptId the authorize call returned. */
export async function consentAttempt(t: TestApp, userId: string, options: ConsentOptions): Promise<{ callback: string; attemptId: string }> {
  const { body } = await t.api().post(`/v1/users/${userId}/spotify/authorize`).expect(200);
  const url = new URL(body.authorizeUrl);
  url.searchParams.set('sandbox_user', options.spotifyUserId);
  if (options.deny) url.searchParams.set('sandbox_deny', '1');
  const answer = await fetch(url, { redirect: 'manual' });
  if (answer.status !== 302) throw new Error(`sandbox /authorize answered ${answer.status}: ${await answer.text()}`);
  const location = new URL(answer.headers.get('location') ?? '');
  return { callback: `${location.pathname}${location.search}`, attemptId: body.attemptId };
}

/** The whole connect flow; returns the callback's answer. */
export async function connect(t: TestApp, userId: string, spotifyUserId: string) {
  const callback = await consent(t, userId, { spotifyUserId });
  return t.http().get(callback);
}

export async function createUser(t: TestApp): Promise<string> {
  const { body } = await t.api().post('/v1/users').send({}).expect(201);
  return body.id;
}

export interface StoredConnectionRow {
  id: string;
  user_id: string;
  spotify_user_id: string;
  access_token: string;
  refresh_token: string;
  token_expires_at: Date;
  scope: string;
  status: string;
  status_reason: string | null;
  authorized_at: Date;
}

export async function connectionRows(t: TestApp, userId?: string): Promise<StoredConnectionRow[]> {
  return withClient(t.db.url, async (pg) => {
    const result = userId
      ? await pg.query('SELECT * FROM spotify_connections WHERE user_id = $1', [userId])
      : await pg.query('SELECT * FROM spotify_connections');
    return result.rows;
  });
}

/** Makes the stored access token look expired to the service (Spotify's copy is untouched). */
export async function expireStoredToken(t: TestApp, userId: string): Promise<void> {
  await withClient(t.db.url, (pg) =>
    pg.query(`UPDATE spotify_connections SET token_expires_at = (now() AT TIME ZONE 'UTC') - interval '1 minute' WHERE user_id = $1`, [userId]),
  );
}

/** Decrypts a stored token as the store does: bound to its table, column and user. */
export function openToken(
  cipher: TokenCipher,
  row: { user_id: string; access_token: string; refresh_token: string },
  column: 'access_token' | 'refresh_token',
): string {
  return cipher.decrypt(row[column], { table: 'spotify_connections', column, rowKey: row.user_id });
}
