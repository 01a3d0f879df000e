import type { RunningSandbox } from '../../sandbox/sandbox-server';
import type { TestApp } from './test-app';

/** Short intervals so the queue machinery answers within a test's patience. */
export const FAST_JOBS_ENV = {
  JOB_RECONCILE_INTERVAL_MS: '300',
  JOB_BACKOFF_MS: '50',
  JOB_STALLED_INTERVAL_MS: '1000',
  JOB_LOCK_DURATION_MS: '2000',
  JOB_ENQUEUE_TIMEOUT_MS: '500',
  JOB_SHUTDOWN_GRACE_MS: '3000',
};

export interface JobBody {
  id: string;
  status: string;
  progress: { total: number | null; done: number; failed: number };
  errorMessage: string | null;
  resultMessage: string | null;
  retryCount: number;
  [key: string]: unknown;
}

export async function waitForJob(
  t: TestApp,
  id: string,
  until: (job: JobBody) => boolean = (job) => ['completed', 'failed', 'cancelled'].includes(job.status),
  timeoutMs = 30_000,
): Promise<JobBody> {
  const deadline = Date.now() + timeoutMs;
  let last: JobBody | undefined;
  while (Date.now() < deadline) {
    last = (await t.api().get(`/v1/sync-jobs/${id}`).expect(200)).body as JobBody;
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} still ${JSON.stringify(last)} after ${timeoutMs} ms`);
}

/** Songs linked to the first n sandbox tracks (no Spotify data yet); returns [songId, trackId] pairs. */
export async function seedLinkedSongs(t: TestApp, sandbox: RunningSandbox, n: number, from = 0) {
  const tracks = sandbox.catalogue.slice(from, from + n);
  const { body } = await t
    .api()
    .post('/v1/songs/bulk')
    .send({ songs: tracks.map((track) => ({ title: track.name, artist: track.artists[0].name, spotifyTrackId: track.id })) })
    .expect(200);
  if (body.created + body.updated !== n) throw new Error(`seeding made ${JSON.stringify(body)}`);
  return tracks;
}

export async function endpointCount(sandbox: RunningSandbox, endpoint: string): Promise<number> {
  return (await sandbox.admin.counters()).byEndpoint[endpoint] ?? 0;
}
