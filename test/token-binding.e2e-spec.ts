import { createCipheriv, randomBytes } from 'node:crypto';
import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { reencryptTokens } from '../src/connections/reencrypt-tokens.command';
import { TokenCipher } from '../src/crypto/token-cipher.service';
import { query, withClient } from './helpers/database';
import { sandboxEnv } from './helpers/sandbox-env';
import { connect, connectionRows, createUser, openToken } from './helpers/spotify-connect';
import { FAST_JOBS_ENV, waitForJob } from './helpers/sync-jobs';
import { createTestApp, TestApp } from './helpers/test-app';

/** Issue 11, finding 6: a stored token works only in the row and column it was written for. */
describe('tokens bound to their row and column', () => {
  let sandbox: RunningSandbox;
  let t: TestApp;
  let cipher: TokenCipher;

  beforeAll(async () => {
    sandbox = await startSandbox({ tier: 'extended', catalogueSize: 200, clientId: 'token-binding' });
    t = await createTestApp('token_binding', { ...sandboxEnv(sandbox), ...FAST_JOBS_ENV, JOB_ATTEMPTS: '1' });
    cipher = new TokenCipher(t.config);
  });
  afterAll(async () => {
    await t.close();
    await sandbox.close();
  });

  const connected = async (spotifyUserId: string) => {
    const userId = await createUser(t);
    expect((await connect(t, userId, spotifyUserId)).status).toBe(200);
    return userId;
  };
  const importLibrary = async (userId: string) => {
    const created = await t.api().post('/v1/sync-jobs').send({ type: 'user_library', targetId: userId }).expect(202);
    return waitForJob(t, created.body.id);
  };

  it("a victim's ciphertexts copied into the attacker's row do not decrypt: the import fails, nothing is imported", async () => {
    const victim = await connected('sb-victim');
    const attacker = await connected('sb-attacker');
    await withClient(t.db.url, (pg) =>
      pg.query(
        `UPDATE spotify_connections a SET access_token = v.access_token, refresh_token = v.refresh_token
           FROM spotify_connections v WHERE a.user_id = $1 AND v.user_id = $2`,
        [attacker, victim],
      ),
    );
    const job = await importLibrary(attacker);
    expect(job.status).toBe('failed');
    expect(job.errorMessage).toMatch(/Stored token cannot be decrypted/);
    const imported = await query(t.db.url, 'SELECT count(*)::int AS n FROM spotify_saved_tracks WHERE user_id = $1', [attacker]);
    expect(imported[0].n).toBe(0);
    // the victim's own row still works
    expect((await importLibrary(victim)).status).toBe('completed');
  });

  it('swapping the access and refresh token columns of one row does not decrypt either', async () => {
    const userId = await connected('sb-swapper');
    await withClient(t.db.url, (pg) =>
      pg.query('UPDATE spotify_connections SET access_token = refresh_token, refresh_token = access_token WHERE user_id = $1', [userId]),
    );
    const [row] = await connectionRows(t, userId);
    expect(() => openToken(cipher, row, 'access_token')).toThrow(/cannot be decrypted/);
    expect((await importLibrary(userId)).status).toBe('failed');
  });

  it('tokens:reencrypt upgrades v1 values to v2 bound to their row; the connection keeps working', async () => {
    const userId = await connected('sb-legacy-v1');
    const [row] = await connectionRows(t, userId);
    const plain = { access: openToken(cipher, row, 'access_token'), refresh: openToken(cipher, row, 'refresh_token') };
    const { id, key } = t.config.encryptionKeys[0];
    const v1 = (text: string) => {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
      c.setAAD(Buffer.from(`v1.${id}`));
      const ct = Buffer.concat([c.update(text, 'utf8'), c.final()]);
      return ['v1', id, iv.toString('base64url'), c.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
    };
    await withClient(t.db.url, (pg) =>
      pg.query('UPDATE spotify_connections SET access_token = $2, refresh_token = $3 WHERE user_id = $1', [userId, v1(plain.access), v1(plain.refresh)]),
    );
    // v1 still reads
    expect((await importLibrary(userId)).status).toBe('completed');

    const report = await reencryptTokens(t.config);
    expect(report.failed.filter((f) => f.connectionId === row.id)).toEqual([]);
    expect(report.reencrypted).toBeGreaterThanOrEqual(1);
    const [after] = await connectionRows(t, userId);
    expect(after.access_token.startsWith(`v2.${id}.`)).toBe(true);
    expect(after.refresh_token.startsWith(`v2.${id}.`)).toBe(true);
    expect(openToken(cipher, after, 'access_token')).toBe(plain.access);
    expect(openToken(cipher, after, 'refresh_token')).toBe(plain.refresh);
    expect(() => openToken(cipher, { ...after, user_id: randomBytes(16).toString('hex') }, 'access_token')).toThrow();
    expect((await importLibrary(userId)).status).toBe('completed');
  });
});
