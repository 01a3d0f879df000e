import { EntityManager, MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import { SpotifyNotConnectedError, SpotifyReauthRequiredError } from '../auth/auth.errors';
import { MetricsService } from '../metrics/metrics.service';
import { SpotifyError, SpotifyRateLimitedError } from '../spotify/spotify.errors';
import { PopularityUpdateHandler } from './popularity-update.handler';
import { execute } from './sql';
import { JobType, SpotifySyncJob } from './spotify-sync-job.entity';
import { HandlerOutcome, ItemFailure, JobRunContext, PermanentJobError, SyncJobHandler } from './sync-job.context';
import { TrackSyncHandler } from './track-sync.handler';
import { UserLibraryHandler } from './user-library.handler';

export type RunResult =
  | 'finished' // completed, failed for good, delayed or interrupted: Bull is done with it
  | 'retry'; // a transient failure: Bull retries with backoff

const NOW = "now() AT TIME ZONE 'UTC'";

/**
 * Moves a job row through pending → running → completed | failed, and decides what an error
 * means: a rate-limit pause delays the job (the worker is freed), a permanent error fails it at
 * once, anything else is retried with backoff until the attempts run out.
 */
@Injectable()
export class SyncJobRunner {
  private readonly logger = new Logger(SyncJobRunner.name);
  private shuttingDown = false;
  private readonly handlers: Record<JobType, SyncJobHandler>;

  constructor(
    private readonly orm: MikroORM,
    private readonly metrics: MetricsService,
    trackSync: TrackSyncHandler,
    popularity: PopularityUpdateHandler,
    library: UserLibraryHandler,
  ) {
    this.handlers = { track_sync: trackSync, popularity_update: popularity, user_library: library };
  }

  /** Running jobs stop at their next checkpoint and go back to pending. */
  stopAtNextCheckpoint(): void {
    this.shuttingDown = true;
  }

  run(jobId: string, attempt: { made: number; max: number }): Promise<RunResult> {
    // a fresh identity map per job, also for services that inject the global EntityManager
    return RequestContext.create(this.orm.em, () => this.runInContext(jobId, attempt));
  }

  private async runInContext(jobId: string, attempt: { made: number; max: number }): Promise<RunResult> {
    const em = this.orm.em.fork();
    const job = await this.claim(em, jobId);
    if (!job) return 'finished';
    const ctx = this.context(em, job);
    const log = { jobId, type: job.jobType };
    this.logger.log(log, 'Sync job started');
    let outcome: HandlerOutcome;
    try {
      outcome = await this.handlers[job.jobType].run(ctx);
    } catch (error) {
      await ctx.save().catch(() => undefined);
      return this.handleError(em, job, error, attempt);
    }
    if (outcome.kind === 'interrupted') {
      await this.update(em, jobId, `status = 'pending'`);
      this.metrics.recordJob(job.jobType, 'delayed');
      this.logger.log(log, 'Sync job stopped at a checkpoint for shutdown; it will continue');
      return 'finished';
    }
    await ctx.save();
    await this.update(em, jobId, `status = 'completed', completed_at = ${NOW}, error_message = NULL, result_message = ?`, [
      outcome.resultMessage ?? null,
    ]);
    this.metrics.recordJob(job.jobType, 'completed');
    this.logger.log({ ...log, done: ctx.progress.done, failed: ctx.progress.failed }, 'Sync job completed');
    return 'finished';
  }

  /**
   * pending → running. A row already running was left by a worker that died: this pick-up is a
   * re-attempt and counts in retry_count. A row delayed by a rate limit waits for its time.
   */
  private async claim(em: EntityManager, jobId: string): Promise<SpotifySyncJob | null> {
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(
      `UPDATE spotify_sync_jobs
          SET retry_count = COALESCE(retry_count, 0) + CASE WHEN status = 'running' THEN 1 ELSE 0 END,
              status = 'running', started_at = COALESCE(started_at, ${NOW}), run_after = NULL, updated_at = ${NOW}
        WHERE id = ? AND status IN ('pending', 'running') AND (run_after IS NULL OR run_after <= ${NOW})
        RETURNING *`,
      [jobId],
    );
    return rows.length ? em.map(SpotifySyncJob, rows[0]) : null;
  }

  private context(em: EntityManager, job: SpotifySyncJob): JobRunContext {
    const checkpoint = { ...(job.checkpoint ?? {}) };
    const progress = { total: job.progressTotal ?? null, done: job.progressDone, failed: job.progressFailed };
    return {
      job,
      em,
      checkpoint,
      progress,
      stopping: () => this.shuttingDown,
      save: (tx = em) =>
        this.update(tx, job.id, 'progress_total = ?, progress_done = ?, progress_failed = ?, checkpoint = ?::jsonb', [
          progress.total,
          progress.done,
          progress.failed,
          JSON.stringify(checkpoint),
        ]),
      recordFailures: async (failures: ItemFailure[], tx = em) => {
        if (!failures.length) return;
        await execute(
          tx,
          `INSERT INTO spotify_sync_job_failures (job_id, item_id, reason)
           SELECT ?::uuid, v.item_id, v.reason FROM jsonb_to_recordset(?::jsonb) AS v(item_id varchar, reason text)
           ON CONFLICT (job_id, item_id) DO UPDATE SET reason = EXCLUDED.reason`,
          [job.id, JSON.stringify(failures.map((f) => ({ item_id: f.itemId, reason: f.reason })))],
        );
      },
    };
  }

  private async handleError(
    em: EntityManager,
    job: SpotifySyncJob,
    error: unknown,
    attempt: { made: number; max: number },
  ): Promise<RunResult> {
    const message = error instanceof Error ? error.message : String(error);
    const log = { jobId: job.id, type: job.jobType, err: message };
    if (error instanceof SpotifyRateLimitedError) {
      const runAfter = new Date(Date.now() + error.retryAfterMs);
      await this.update(em, job.id, `status = 'pending', run_after = ?, result_message = ?`, [
        runAfter,
        `Delayed by Spotify until ${runAfter.toISOString()}: ${message}`,
      ]);
      this.metrics.recordJob(job.jobType, 'delayed');
      this.logger.warn(log, 'Sync job delayed by a Spotify rate limit');
      return 'finished';
    }
    if (isPermanent(error)) {
      await this.fail(em, job.id, message);
      this.metrics.recordJob(job.jobType, 'failed');
      this.logger.warn(log, 'Sync job failed');
      return 'finished';
    }
    if (attempt.made + 1 < attempt.max) {
      await this.update(em, job.id, `status = 'pending', error_message = ?, retry_count = COALESCE(retry_count, 0) + 1`, [
        `Attempt ${attempt.made + 1} of ${attempt.max} failed, retrying: ${message}`,
      ]);
      this.metrics.recordJob(job.jobType, 'retried');
      this.logger.warn(log, 'Sync job attempt failed; retrying');
      return 'retry';
    }
    await this.fail(em, job.id, `${message} (gave up after ${attempt.max} attempts)`);
    this.metrics.recordJob(job.jobType, 'failed');
    this.logger.error(log, 'Sync job failed after its last attempt');
    return 'finished';
  }

  private fail(em: EntityManager, jobId: string, message: string): Promise<void> {
    return this.update(em, jobId, `status = 'failed', completed_at = ${NOW}, error_message = ?`, [message]);
  }

  private async update(em: EntityManager, jobId: string, assignments: string, params: unknown[] = []): Promise<void> {
    await execute(em, `UPDATE spotify_sync_jobs SET ${assignments}, updated_at = ${NOW} WHERE id = ?`, [...params, jobId]);
  }
}

function isPermanent(error: unknown): boolean {
  if (error instanceof PermanentJobError || error instanceof SpotifyNotConnectedError || error instanceof SpotifyReauthRequiredError) {
    return true;
  }
  return error instanceof SpotifyError && !error.retryable;
}
