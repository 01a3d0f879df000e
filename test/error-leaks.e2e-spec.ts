import { Logger } from '@nestjs/common';
import { query } from './helpers/database';
import { createTestApp, TestApp } from './helpers/test-app';

/** Issue 11, finding 13: database errors reach neither the caller nor the log with SQL or values. */
describe('error answers and logs', () => {
  let t: TestApp;
  let logged: unknown[][];

  beforeAll(async () => {
    t = await createTestApp('error_leaks');
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(() => {
    logged = [];
    jest.spyOn(Logger.prototype, 'error').mockImplementation((...args: unknown[]) => void logged.push(args));
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((...args: unknown[]) => void logged.push(args));
  });
  afterEach(() => jest.restoreAllMocks());

  const secretValues = ['private.person@example.com', 'Private Person Name'];

  it('answers an unexpected database error with a generic reason and the request id; logs its SQLSTATE, never the SQL or values', async () => {
    // a schema the code does not expect: every insert into users fails in PostgreSQL (42703)
    await query(t.db.url, 'ALTER TABLE users RENAME COLUMN display_name TO display_name_gone');
    try {
      const res = await t.api()
        .post('/v1/users')
        .set('x-request-id', 'leak-check-1')
        .send({ email: secretValues[0], displayName: secretValues[1] })
        .expect(500);
      expect(res.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error (request id leak-check-1)' });
      const everything = JSON.stringify(logged);
      expect(logged.length).toBeGreaterThan(0);
      expect(everything).toContain('42703');
      expect(everything).toContain('leak-check-1');
      for (const leak of [...secretValues, 'insert into', 'display_name']) expect(everything.toLowerCase()).not.toContain(leak.toLowerCase());
    } finally {
      await query(t.db.url, 'ALTER TABLE users RENAME COLUMN display_name_gone TO display_name');
    }
  });

  it('answers a value the database refuses (a CHECK rule) with a 400, naming no SQL, and logs the constraint', async () => {
    await query(t.db.url, "ALTER TABLE users ADD CONSTRAINT users_no_private CHECK (display_name IS DISTINCT FROM 'Private Person Name')");
    try {
      const res = await t.api().post('/v1/users').send({ displayName: secretValues[1] }).expect(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'A value in this request was refused by the database' });
      const everything = JSON.stringify(logged);
      expect(everything).toContain('users_no_private');
      expect(everything).toContain('"table":"users"');
      expect(everything).not.toContain(secretValues[1]);
    } finally {
      await query(t.db.url, 'ALTER TABLE users DROP CONSTRAINT users_no_private');
    }
  });
});
