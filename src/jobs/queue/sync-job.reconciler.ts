import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { SpotifySyncJob } from '../records/spotify-sync-job.entity';
import type { SyncJobRepository } from '../records/sync-job.repository';
import { SyncJobQueue } from './sync-job.queue';

/**
 * The table is the source of truth, so every pending or running row must have a Bull job.
 * Rows written while Redis was down, jobs lost with a Redis restart, and jobs delayed by a
 * rate limit are (re)queued here. Adding a job id Bull already has is a no-op, so replicas
 * running this at once are harmless.
 */
@Injectable()
export class SyncJobReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SyncJobReconciler.name);
  private static readonly NAME = 'sync-job-reconciler';
  private running = false;

  constructor(
    private readonly em: EntityManager,
    private readonly queue: SyncJobQueue,
    private readonly scheduler: SchedulerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => void this.reconcile(), this.config.jobs.reconcileIntervalMs);
    this.scheduler.addInterval(SyncJobReconciler.NAME, timer);
  }

  onApplicationShutdown(): void {
    if (this.scheduler.doesExist('interval', SyncJobReconciler.NAME)) this.scheduler.deleteInterval(SyncJobReconciler.NAME);
  }

  /** Returns how many rows were queued. */
  async reconcile(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const rows = await (this.em.fork().getRepository(SpotifySyncJob) as SyncJobRepository).activeForQueue(500);
      let queued = 0;
      for (const row of rows) {
        if (await this.queue.isQueued(row.id, row.priority)) continue;
        const runAfter = row.run_after ? new Date(row.run_after).getTime() : 0;
        if (await this.queue.enqueue(row.id, row.priority, runAfter - Date.now())) queued++;
      }
      if (queued) this.logger.log({ queued }, 'Queued sync jobs that had no Bull job');
      return queued;
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'Reconciling sync jobs failed; trying again next interval');
      return 0;
    } finally {
      this.running = false;
    }
  }
}
