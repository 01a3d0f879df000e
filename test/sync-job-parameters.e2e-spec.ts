import { randomUUID } from 'node:crypto';
import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { sandboxEnv } from './helpers/sandbox-env';
import { query } from './helpers/database';
import { FAST_JOBS_ENV, waitForJob } from './helpers/sync-jobs';
import { createTestApp, TestApp } from './helpers/test-app';

/** Job parameters are bounded at creation; what the runner still cannot use fails the job for good. */
describe('sync job parameters', () => {
  let sandbox: RunningSandbox;
  let t: TestApp;

  beforeAll(async () => {
    sandbox = await startSandbox({ tier: 'extended', catalogueSize: 100, clientId: 'jobs-parameters' });
    t = await createTestApp('jobs_params', { ...sandboxEnv(sandbox), ...FAST_JOBS_ENV, JOB_ATTEMPTS: '3' });
  });
  afterAll(async () => {
    await t.close();
    await sandbox.close();
  });

  const refusedFields = async (body: object) => {
    const res = await t.api().post('/v1/sync-jobs').send(body);
    expect(res.status).toBe(400);
    return (res.body.details as { field: string }[]).map((d) => d.field);
  };

  it.each([
    ['a huge staleAfter', { staleAfter: 'P99999999999999999999999Y' }, 'parameters.staleAfter'],
    ['staleAfter under a minute', { staleAfter: 'PT30S' }, 'parameters.staleAfter'],
    ['staleAfter over 10 years', { staleAfter: 'P11Y' }, 'parameters.staleAfter'],
    ['staleAfter over 32 characters', { staleAfter: `P${'1'.repeat(40)}D` }, 'parameters.staleAfter'],
    ['maxRequests over 1,000,000', { maxRequests: 1_000_001 }, 'parameters.maxRequests'],
    ['1,001 songIds', { songIds: Array.from({ length: 1001 }, () => randomUUID()) }, 'parameters.songIds'],
    ['an unknown key', { colour: 'red' }, 'parameters.colour'],
  ])('refuses %s at creation', async (_label, parameters, field) => {
    expect(await refusedFields({ type: 'track_sync', parameters })).toEqual([field]);
  });

  it('accepts the bounds themselves', async () => {
    const res = await t.api().post('/v1/sync-jobs').send({ type: 'popularity_update', parameters: { staleAfter: 'P10Y', maxRequests: 1_000_000 } });
    expect([200, 202]).toContain(res.status);
    expect(res.body.parameters).toEqual({ staleAfter: 'P10Y', maxRequests: 1_000_000 });
  });

  it('fails a stored job whose parameters the runner cannot use at once, without retries or Spotify requests', async () => {
    const before = (await sandbox.admin.requests()).length;
    const [row] = await query<{ id: string }>(
      t.db.url,
      `INSERT INTO spotify_sync_jobs (job_type, parameters, dedupe_key)
       VALUES ('track_sync', '{"staleAfter": "P99999999999999999999999Y"}', 'bad-stored-parameters') RETURNING id`,
    );
    const job = await waitForJob(t, row.id);
    expect(job).toMatchObject({ status: 'failed', retryCount: 0 });
    expect(job.errorMessage).toMatch(/parameters\.staleAfter/);
    expect(job.errorMessage).not.toMatch(/Invalid time value|at .*\.ts/);
    expect((await sandbox.admin.requests()).length).toBe(before);
  });
});
