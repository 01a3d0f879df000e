import { ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import { SpotifyNotConnectedError, SpotifyReauthRequiredError } from '../../connections/spotify-connection.errors';
import { SpotifyForbiddenError, SpotifyRateLimitedError, SpotifyTransientError } from '../../spotify/spotify.errors';
import { JobParametersError } from '../parameters/job-parameters';
import type { JobLease } from '../records/sync-job.repository';
import { JobAccountingError, PermanentJobError } from './job-errors';
import { applyErrorPolicy, ErrorTransitions, INTERNAL_REASON, logDetail, publicReason } from './job-error.policy';

/** Records the transitions asked for; `current` false plays a worker whose lease was taken. */
class FakeJobs implements ErrorTransitions {
  calls: { transition: string; args: unknown[] }[] = [];
  constructor(private readonly current = true) {}
  async delay(lease: JobLease, runAfter: Date, message: string) {
    this.calls.push({ transition: 'delay', args: [lease, runAfter, message] });
    return this.current;
  }
  async fail(lease: JobLease, message: string) {
    this.calls.push({ transition: 'fail', args: [lease, message] });
    return this.current;
  }
  async backOff(lease: JobLease, message: string) {
    this.calls.push({ transition: 'backOff', args: [lease, message] });
    return this.current;
  }
}

const lease = { id: 'job-1', attempt: 3 };
const now = new Date('2026-11-30T06:00:00Z');

describe('applyErrorPolicy', () => {
  it('delays the job on a rate-limit pause, until the pause ends', async () => {
    const jobs = new FakeJobs();
    const outcome = await applyErrorPolicy(jobs, lease, new SpotifyRateLimitedError(90_000, false), { made: 0, max: 5 }, now);
    expect(outcome).toBe('delayed');
    expect(jobs.calls).toHaveLength(1);
    expect(jobs.calls[0].transition).toBe('delay');
    expect(jobs.calls[0].args[1]).toEqual(new Date('2026-11-30T06:01:30Z'));
    expect(jobs.calls[0].args[2]).toMatch(/^Delayed by Spotify until 2026-11-30T06:01:30.000Z: Spotify rate limit/);
  });

  it.each([
    ['a refused Spotify call', new SpotifyForbiddenError('Spotify refused audio features (403)', 403)],
    ['a user who never connected', new SpotifyNotConnectedError('u1')],
    ['a revoked grant', new SpotifyReauthRequiredError('u1', 'invalid_grant')],
    ['parameters the runner cannot use', new JobParametersError([{ field: 'parameters.staleAfter', reasons: ['bad'] }])],
    ['a grant without the scope the job needs', new PermanentJobError("The user's Spotify connection does not grant user-library-read")],
  ])('fails at once, without retrying, on %s', async (_, error) => {
    const jobs = new FakeJobs();
    expect(await applyErrorPolicy(jobs, lease, error, { made: 0, max: 5 }, now)).toBe('failed');
    expect(jobs.calls.map((c) => c.transition)).toEqual(['fail']);
    expect(jobs.calls[0].args[1]).toBe(error.message);
  });

  it('retries a run that left songs unaccounted for (never completed), saying why', async () => {
    const jobs = new FakeJobs();
    const error = new JobAccountingError('Only 4 of the 6 named songs were synced or recorded as failed');
    expect(await applyErrorPolicy(jobs, lease, error, { made: 0, max: 5 }, now)).toBe('retried');
    expect(jobs.calls).toEqual([{ transition: 'backOff', args: [lease, `Attempt 1 of 5 failed, retrying: ${error.message}`] }]);
  });

  it('says a capped Retry-After in the message of the delayed job', async () => {
    const jobs = new FakeJobs();
    const error = new SpotifyRateLimitedError(3_600_000, false, undefined, true, 31_536_000_000);
    expect(await applyErrorPolicy(jobs, lease, error, { made: 0, max: 5 }, now)).toBe('delayed');
    expect(jobs.calls[0].args[2]).toMatch(/Spotify asked for 31536000 s; capped by SPOTIFY_MAX_RETRY_AFTER_S/);
  });

  it('backs off on a transient error while attempts remain, counting the attempt', async () => {
    const jobs = new FakeJobs();
    expect(await applyErrorPolicy(jobs, lease, new SpotifyTransientError('Spotify answered 503'), { made: 1, max: 5 }, now)).toBe('retried');
    expect(jobs.calls).toEqual([{ transition: 'backOff', args: [lease, 'Attempt 2 of 5 failed, retrying: Spotify answered 503'] }]);
  });

  it('fails once the last attempt fails, saying so', async () => {
    const jobs = new FakeJobs();
    expect(await applyErrorPolicy(jobs, lease, new SpotifyTransientError('Spotify answered 503'), { made: 4, max: 5 }, now)).toBe('failed');
    expect(jobs.calls).toEqual([{ transition: 'fail', args: [lease, 'Spotify answered 503 (gave up after 5 attempts)'] }]);
  });

  it('reports a stale lease instead of an outcome when the write changed nothing', async () => {
    for (const error of [new SpotifyRateLimitedError(1000, false), new SpotifyForbiddenError('no'), new Error('boom')]) {
      expect(await applyErrorPolicy(new FakeJobs(false), lease, error, { made: 0, max: 5 }, now)).toBe('stale');
    }
  });

  it('never writes database or unknown error text into the job', async () => {
    const jobs = new FakeJobs();
    const driver = new ForeignKeyConstraintViolationException(
      Object.assign(new Error(`insert into "songs" ("title") values ('secret@example.com') - violates foreign key`), { code: '23503' }),
    );
    await applyErrorPolicy(jobs, lease, driver, { made: 4, max: 5 }, now);
    const message = jobs.calls[0].args[1] as string;
    expect(message).toBe(`${INTERNAL_REASON} (gave up after 5 attempts)`);
    expect(message).not.toMatch(/insert|secret|songs/);
  });
});

describe('publicReason', () => {
  it('passes on the messages this service writes itself', () => {
    expect(publicReason(new SpotifyTransientError('Spotify answered 503'))).toBe('Spotify answered 503');
    expect(publicReason(new SpotifyReauthRequiredError('u1', 'invalid_grant'))).toMatch(/must reconnect/);
  });

  it.each([
    new Error('relation "spotify_sync_jobs" does not exist'),
    new TypeError("Cannot read properties of undefined (reading 'id')"),
    'a thrown string',
    undefined,
  ])('maps anything else to one generic reason: %p', (error) => {
    expect(publicReason(error)).toBe(INTERNAL_REASON);
  });

  it('clips long messages', () => {
    expect(publicReason(new SpotifyTransientError('x'.repeat(5000))).length).toBeLessThanOrEqual(501);
  });
});

describe('logDetail', () => {
  it('keeps a database error to its code, never its SQL or values', () => {
    const driver = new ForeignKeyConstraintViolationException(
      Object.assign(new Error(`insert into "songs" values ('secret@example.com')`), { code: '23503' }),
    );
    const detail = logDetail(driver);
    expect(detail.code).toBe('23503');
    expect(JSON.stringify(detail)).not.toMatch(/secret|insert/);
  });
});
