import { MikroORM } from '@mikro-orm/postgresql';
import { createOrmConfig } from '../src/config/mikro-orm.config';
import { SpotifySyncJob } from '../src/jobs/records/spotify-sync-job.entity';
import { JobLeaseLostError, SyncJobRepository } from '../src/jobs/records/sync-job.repository';
import { createMigratedDatabase, TestDatabase } from './helpers/database';

/** A job row is claimed with an attempt number; a worker's writes apply only while it is current. */
describe('sync job fencing', () => {
  let db: TestDatabase;
  let orm: MikroORM;
  const jobs = () => orm.em.fork().getRepository(SpotifySyncJob) as SyncJobRepository;

  beforeAll(async () => {
    db = await createMigratedDatabase('sync_job_fencing');
    orm = await MikroORM.init(createOrmConfig(db.url));
  });
  afterAll(async () => {
    await orm.close(true);
    await db.drop();
  });

  const newJob = async (key: string) =>
    (await jobs().insertUnlessActive({ type: 'track_sync', targetId: null, parameters: { staleAfter: 'P7D' }, dedupeKey: key, scheduleKey: null, priority: 'bulk' }))!;

  it('lets only the latest claimant write: the first claimant completing changes nothing', async () => {
    const job = await newJob('fencing-1');
    const first = (await jobs().claim(job.id))!;
    const second = (await jobs().claim(job.id))!; // a false "stalled": another worker picks it up
    expect([first.attempt, second.attempt]).toEqual([1, 2]);
    expect(second.retryCount).toBe(1);

    const stale = { id: job.id, attempt: first.attempt };
    expect(await jobs().complete(stale, 'stale worker done')).toBeNull();
    expect(await jobs().fail(stale, 'stale worker failed')).toBeNull();
    expect(await jobs().delay(stale, new Date(Date.now() + 60_000), 'stale delay')).toBe(false);
    expect(await jobs().backOff(stale, 'stale back-off')).toBe(false);
    expect(await jobs().requeue(stale)).toBe(false);
    await expect(jobs().progress(stale, { total: 9, done: 9, failed: 0 }, { position: 9 })).rejects.toBeInstanceOf(JobLeaseLostError);

    let row = (await jobs().findOne({ id: job.id }))!;
    expect(row).toMatchObject({ status: 'running', attempt: 2, progressDone: 0, resultMessage: null, errorMessage: null, runAfter: null });

    const current = { id: job.id, attempt: second.attempt };
    await jobs().progress(current, { total: 3, done: 3, failed: 0 }, { position: 3 });
    expect(await jobs().complete(current, null)).toMatchObject({ id: job.id, status: 'completed' });
    row = (await jobs().findOne({ id: job.id }))!;
    expect(row).toMatchObject({ status: 'completed', attempt: 2, progressDone: 3 });
  });

  it('rolls back a stale worker\'s chunk: its checkpoint write fails inside the transaction', async () => {
    const job = await newJob('fencing-2');
    const first = (await jobs().claim(job.id))!;
    await jobs().claim(job.id);
    const em = orm.em.fork();
    await expect(
      em.transactional(async (tx) => {
        await tx.execute(`UPDATE spotify_sync_jobs SET result_message = 'written by the chunk' WHERE id = ?`, [job.id]);
        await (tx.getRepository(SpotifySyncJob) as SyncJobRepository).progress({ id: job.id, attempt: first.attempt }, { total: 1, done: 1, failed: 0 }, {});
      }),
    ).rejects.toBeInstanceOf(JobLeaseLostError);
    expect((await jobs().findOne({ id: job.id }))!.resultMessage).toBeNull();
  });

  it('does not complete a job that is no longer running, whatever its attempt', async () => {
    const job = await newJob('fencing-3');
    const claimed = (await jobs().claim(job.id))!;
    const lease = { id: job.id, attempt: claimed.attempt };
    expect(await jobs().fail(lease, 'gave up')).toMatchObject({ status: 'failed', errorMessage: 'gave up' });
    expect(await jobs().complete(lease, 'late')).toBeNull();
    expect((await jobs().findOne({ id: job.id }))!.status).toBe('failed');
  });
});
