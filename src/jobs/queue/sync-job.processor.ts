import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bull';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import type { SyncQueuePayload } from '../jobs.constants';
import { SyncJobQueue } from './sync-job.queue';
import { SyncJobRunner } from '../runner/sync-job.runner';

/** Takes jobs off the Bull queue and hands them to the runner (worker and all roles only). */
@Injectable()
export class SyncJobProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SyncJobProcessor.name);

  constructor(
    private readonly queue: SyncJobQueue,
    private readonly runner: SyncJobRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Each lane has its own workers: JOB_CONCURRENCY for bulk, JOB_INTERACTIVE_CONCURRENCY kept for interactive work. */
  onApplicationBootstrap(): void {
    const handle = async (job: Job<SyncQueuePayload>) => {
      const result = await this.runner.run(job.data.jobId, { made: job.attemptsMade, max: job.opts.attempts ?? 1 });
      // Bull's own retry with exponential backoff; the row already says why
      if (result === 'retry') throw new Error('Attempt failed; retrying with backoff');
    };
    this.queue.process('bulk', this.config.jobs.concurrency, handle);
    this.queue.process('interactive', this.config.jobs.interactiveConcurrency, handle);
  }

  /** SIGTERM: running jobs stop at their next checkpoint and go back to pending; Bull waits for them. */
  async beforeApplicationShutdown(): Promise<void> {
    this.logger.log('Stopping: running sync jobs return to the queue at their next checkpoint');
    this.runner.stopAtNextCheckpoint();
    await this.queue.close();
  }
}
