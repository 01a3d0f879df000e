import { EntityManager, MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { SyncJobQueue } from '../queue/sync-job.queue';
import { withSpotifyPriority } from '../../spotify/budget/spotify-priority';
import { MetricsService } from '../../metrics/metrics.service';
import { PopularityUpdateHandler } from '../handlers/popularity-update.handler';
import { TrackSyncHandler } from '../handlers/track-sync.handler';
import { UserLibraryHandler } from '../handlers/user-library.handler';
import { JobCheckpointByType, parseStoredParameters } from '../parameters/job-parameters';
import { JobType, SpotifySyncJob } from '../records/spotify-sync-job.entity';
import { SyncJobFailure } from '../records/sync-job-failure.entity';
import type { SyncJobFailureRepository } from '../records/sync-job-failure.repository';
import { JobLease, JobLeaseLostError, SyncJobRepository } from '../records/sync-job.repository';
import { AttemptCount, applyErrorPolicy, ErrorTransitions, logDetail } from './job-error.policy';
import { SyncJobResponse } from '../api/sync-jobs.dto';
import { WebhookEvents } from '../../webhooks/webhook-events.service';
import { HandlerOutcome, JobRunContext, SyncJobHandler } from './sync-job.context';

export type RunResult =
  | 'finished' // completed, failed for good, delayed, interrupted or lost to another worker: Bull is done with it
  | 'retry'; // a transient failure: Bull retries with backoff

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
/** The longest a bulk job holds back between chunks for waiting interactive jobs. */
const YIELD_MAX_MS = 5_000;

const jobsOf = (em: EntityManager) => em.getRepository(SpotifySyncJob) as SyncJobRepository;

/**
 * Runs one claimed job: its handler, then the transition that fits the outcome. The transitions
 * are SyncJobRepository's; what an error means is applyErrorPolicy's. See src/jobs/README.md.
 */
@Injectable()
export class SyncJobRunner {
  private readonly logger = new Logger(SyncJobRunner.name);
  private shuttingDown = false;
  private readonly handlers: { [K in JobType]: SyncJobHandler<K> };

  constructor(
    private readonly orm: MikroORM,
    private readonly queue: SyncJobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly events: WebhookEvents,
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

  run(jobId: string, attempt: AttemptCount): Promise<RunResult> {
    // a fresh identity map per job, also for services that inject the global EntityManager
    return RequestContext.create(this.orm.em, () => this.runInContext(jobId, attempt));
  }

  private async runInContext(jobId: string, attempt: AttemptCount): Promise<RunResult> {
    const em = this.orm.em.fork();
    const job = await jobsOf(em).claim(jobId);
    if (!job) return 'finished';
    const lease: JobLease = { id: job.id, attempt: job.attempt };
    const log = { jobId, type: job.jobType, attempt: job.attempt };
    this.logger.log(log, 'Sync job started');
    let ctx: JobRunContext;
    let outcome: HandlerOutcome;
    try {
      ctx = this.context(em, job, lease);
      // every Spotify request of the handler takes its permit at the job's priority (interactive first)
      const handler = this.handlers[job.jobType as JobType] as SyncJobHandler;
      outcome = await withSpotifyPriority(this.config.jobs.lanes ? job.priority : 'interactive', () => handler.run(ctx));
    } catch (error) {
      // Nothing is saved here: the checkpoint in the row is the last one a chunk committed, so a
      // retry redoes the failed chunk instead of skipping it.
      return this.handleError(em, job, lease, error, attempt);
    }
    try {
      if (outcome.kind === 'interrupted') {
        if (await jobsOf(em).requeue(lease)) {
          this.metrics.recordJob(job.jobType, 'delayed');
          this.logger.log(log, 'Sync job stopped at a checkpoint for shutdown; it will continue');
        }
        return 'finished';
      }
      await ctx.save();
      if (!(await this.finish(em, lease, 'completed', outcome.resultMessage ?? null))) throw new JobLeaseLostError(lease);
    } catch (error) {
      return this.handleError(em, job, lease, error, attempt);
    }
    this.metrics.recordJob(job.jobType, 'completed');
    this.logger.log({ ...log, done: ctx.progress.done, failed: ctx.progress.failed }, 'Sync job completed');
    return 'finished';
  }

  /**
   * running → completed | failed, announced to webhook subscribers in the same transaction, so the
   * event exists exactly when the job's end does. False when the lease was lost (nothing written).
   */
  private finish(em: EntityManager, lease: JobLease, status: 'completed' | 'failed', message: string | null): Promise<boolean> {
    return em.transactional(async (tx) => {
      const row = status === 'completed' ? await jobsOf(tx).complete(lease, message) : await jobsOf(tx).fail(lease, message ?? '');
      if (!row) return false;
      await this.events.record(tx, `sync_job.${status}`, SyncJobResponse.from(row));
      return true;
    });
  }

  private context(em: EntityManager, job: SpotifySyncJob, lease: JobLease): JobRunContext {
    // parsed before anything runs: parameters the runner cannot use fail the job for good
    const parameters = parseStoredParameters(job.jobType, job.targetId ?? null, job.parameters);
    const checkpoint = { ...(job.checkpoint ?? {}) } as JobCheckpointByType[JobType];
    const progress = { total: job.progressTotal ?? null, done: job.progressDone, failed: job.progressFailed };
    return {
      job,
      em,
      parameters,
      checkpoint,
      progress,
      stopping: () => this.shuttingDown,
      waitOut: (ms) => this.waitOut(ms),
      yieldToInteractive: () => (job.priority === 'bulk' ? this.yieldToInteractive() : Promise.resolve()),
      save: (tx = em) => jobsOf(tx).progress(lease, progress, checkpoint),
      recordFailures: (failures, tx = em) => (tx.getRepository(SyncJobFailure) as SyncJobFailureRepository).record(job.id, failures),
    };
  }

  /** Sleeps through a short pause in slices, so a shutdown is not held up by it. */
  private async waitOut(ms: number): Promise<boolean> {
    if (ms > this.config.jobs.yieldMaxMs) return false;
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (this.shuttingDown) return false;
      await sleep(Math.min(250, until - Date.now()));
    }
    return !this.shuttingDown;
  }

  /**
   * Interactive jobs have their own workers; this only matters when they are all busy and more wait:
   * then a bulk job holds back between chunks (at most YIELD_MAX_MS), so its requests do not compete.
   */
  private async yieldToInteractive(): Promise<void> {
    const until = Date.now() + YIELD_MAX_MS;
    while (Date.now() < until && !this.shuttingDown) {
      const waiting = await this.queue.interactiveWaiting().catch(() => 0);
      if (!waiting) return;
      await sleep(100);
    }
  }

  private async handleError(em: EntityManager, job: SpotifySyncJob, lease: JobLease, error: unknown, attempt: AttemptCount): Promise<RunResult> {
    const log = { jobId: job.id, type: job.jobType, attempt: job.attempt, err: logDetail(error) };
    if (error instanceof JobLeaseLostError) {
      this.logger.warn(log, 'Sync job was claimed by another worker; this run stops without writing');
      return 'finished';
    }
    const jobs = jobsOf(em);
    const transitions: ErrorTransitions = {
      delay: (l, runAfter, message) => jobs.delay(l, runAfter, message),
      backOff: (l, message) => jobs.backOff(l, message),
      fail: (l, message) => this.finish(em, l, 'failed', message),
    };
    const outcome = await applyErrorPolicy(transitions, lease, error, attempt);
    switch (outcome) {
      case 'delayed':
        this.metrics.recordJob(job.jobType, 'delayed');
        this.logger.warn(log, 'Sync job delayed by a Spotify rate limit');
        return 'finished';
      case 'retried':
        this.metrics.recordJob(job.jobType, 'retried');
        this.logger.warn(log, 'Sync job attempt failed; retrying');
        return 'retry';
      case 'failed':
        this.metrics.recordJob(job.jobType, 'failed');
        this.logger.error(log, 'Sync job failed');
        return 'finished';
      case 'stale':
        this.logger.warn(log, 'Sync job was claimed by another worker; this run stops without writing');
        return 'finished';
    }
  }
}
