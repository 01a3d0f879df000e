import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { MetricsService } from '../../metrics/metrics.service';
import { SYNC_QUEUE, SyncQueuePayload, syncJobOptions } from '../jobs.constants';

/** Bull behind one small class, so a move to BullMQ touches this folder only. */
@Injectable()
export class SyncJobQueue implements OnApplicationShutdown {
  private readonly logger = new Logger(SyncJobQueue.name);

  constructor(
    @InjectQueue(SYNC_QUEUE) private readonly queue: Queue<SyncQueuePayload>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    // connection errors: Bull reconnects on its own and readiness reports the outage
    this.queue.on('error', (error) => this.logger.warn({ err: error.message }, 'Queue error'));
    this.unregisterDepth = metrics.registerQueueDepth(async () =>
      Object.entries(await this.depth()).map(([state, count]) => ({ queue: SYNC_QUEUE, state, count })),
    );
  }

  private readonly unregisterDepth: () => void;

  /**
   * Queues a job row; false when Redis did not answer in time. Never hangs on a dead Redis:
   * the row stays pending and the reconciler queues it once Redis is back. A second add of the
   * same row id is a no-op in Bull, so a late add is harmless.
   */
  async enqueue(jobId: string, delayMs = 0): Promise<boolean> {
    try {
      await this.withTimeout(this.queue.add({ jobId }, syncJobOptions(this.config, jobId, delayMs)));
      return true;
    } catch (error) {
      this.logger.warn({ jobId, err: (error as Error).message }, 'Could not queue the job now; the reconciler will');
      return false;
    }
  }

  async isQueued(jobId: string): Promise<boolean> {
    return (await this.withTimeout(this.queue.getJob(jobId))) !== null;
  }

  async remove(jobId: string): Promise<void> {
    const job = await this.withTimeout(this.queue.getJob(jobId)).catch(() => null);
    await job?.remove().catch(() => undefined);
  }

  process(concurrency: number, handler: (job: Job<SyncQueuePayload>) => Promise<void>): void {
    this.queue.process(concurrency, handler).catch((error: Error) =>
      this.logger.error({ err: error.message }, 'The queue stopped processing'),
    );
  }

  async depth(): Promise<Record<string, number>> {
    return this.withTimeout(this.queue.getJobCounts() as unknown as Promise<Record<string, number>>);
  }

  /**
   * Stops taking jobs; the active ones finish first (Bull waits for them), within the grace
   * period. Then every connection is dropped, also those still trying to reach a Redis that is down.
   */
  async close(graceMs = this.config.jobs.shutdownGraceMs): Promise<void> {
    // closing a queue that never connected would open a connection just to close it
    if (!(this.queue as unknown as { clientInitialized?: boolean }).clientInitialized) return;
    await Promise.race([this.queue.close().catch(() => undefined), new Promise((r) => setTimeout(r, graceMs).unref())]);
    // Bull lists the connections it opened; reading queue.client etc. would open new ones
    for (const client of (this.queue as unknown as { clients: { disconnect(): void }[] }).clients ?? []) {
      client.disconnect();
    }
  }

  onApplicationShutdown(): Promise<void> {
    this.unregisterDepth();
    return this.close();
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Redis did not answer in time')), this.config.jobs.enqueueTimeoutMs);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
