import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestApp, TestApp } from './helpers/test-app';

describe('users API', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp('users');
  });
  afterAll(() => t.close());

  it('creates a user with a generated id and reads it back', async () => {
    const created = await t.api().post('/v1/users').send({ email: 'ada@example.com', displayName: 'Ada' }).expect(201);
    expect(created.body).toMatchObject({ email: 'ada@example.com', displayName: 'Ada' });
    expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(created.body.createdAt).toISOString()).toBe(created.body.createdAt);
    const read = await t.api().get(`/v1/users/${created.body.id}`).expect(200);
    expect(read.body).toEqual(created.body);
  });

  it('accepts an id chosen by the caller, and answers 409 when it is taken', async () => {
    const id = randomUUID();
    await t.api().post('/v1/users').send({ id }).expect(201);
    const again = await t.api().post('/v1/users').send({ id }).expect(409);
    expect(again.body).toEqual({ statusCode: 409, error: 'Conflict', message: `User ${id} already exists` });
  });

  it('rejects bad input with 400 naming each field, and unknown fields', async () => {
    const res = await t.api().post('/v1/users').send({ id: 'nope', email: 'not-an-email', role: 'admin' }).expect(400);
    expect(res.body.statusCode).toBe(400);
    expect(res.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['email', 'id', 'role']);
  });

  it('needs an API key', async () => {
    const res = await t.http().get(`/v1/users/${randomUUID()}`).expect(401);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    await t.http().get(`/v1/users/${randomUUID()}`).set('Authorization', 'Bearer wrong-key-wrong-key').expect(401);
    // any of the configured keys works
    await t.http().get(`/v1/users/${randomUUID()}`).set('Authorization', 'Bearer second-key-abcdefghijkl').expect(404);
  });

  it('answers 404 for an unknown user and 400 for a malformed id', async () => {
    const res = await t.api().get(`/v1/users/${randomUUID()}`).expect(404);
    expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    const bad = await t.api().get('/v1/users/123').expect(400);
    expect(bad.body.details[0].field).toBe('id');
  });

  it('deletes a user and cascades to the Spotify connection', async () => {
    const { body: user } = await t.api().post('/v1/users').send({}).expect(201);
    const pg = new Client({ connectionString: t.db.url });
    await pg.connect();
    try {
      await pg.query(
        `INSERT INTO spotify_connections (user_id, spotify_user_id, access_token, refresh_token, token_expires_at, scope)
         VALUES ($1, 'spotify-user', 'x', 'y', now(), 'user-library-read')`,
        [user.id],
      );
      await t.api().delete(`/v1/users/${user.id}`).expect(204);
      const left = await pg.query('SELECT count(*)::int AS n FROM spotify_connections WHERE user_id = $1', [user.id]);
      expect(left.rows[0].n).toBe(0);
    } finally {
      await pg.end();
    }
    await t.api().get(`/v1/users/${user.id}`).expect(404);
    await t.api().delete(`/v1/users/${user.id}`).expect(404);
  });

  it('answers unknown routes with the one error shape', async () => {
    const res = await t.api().get('/v1/nothing-here').expect(404);
    expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });
});
