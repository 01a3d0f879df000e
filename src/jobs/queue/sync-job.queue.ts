import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { MetricsService } from '../../metrics/metrics.service';
import type { JobPriority } from '../records/spotify-sync-job.entity';
import { queueOf, SYNC_INTERACTIVE_QUEUE, SYNC_QUEUE, SyncQueuePayload, syncJobOptions } from '../jobs.constants';

type QueueName = typeof SYNC_QUEUE | typeof SYNC_INTERACTIVE_QUEUE;

/**
 * Bull behind one small class, so a move to BullMQ touches this folder only. Two lanes, each its
 * own Bull queue with its own workers: interactive jobs never wait behind a bulk one. A row is
 * queued on its lane only (JOB_LANES=off: on the bulk queue only), so two workers never claim it at once.
 */
@Injectable()
export class SyncJobQueue implements OnApplicationShutdown {
  private readonly logger = new Logger(SyncJobQueue.name);
  private readonly queues: Record<QueueName, Queue<SyncQueuePayload>>;

  constructor(
    @InjectQueue(SYNC_QUEUE) bulk: Queue<SyncQueuePayload>,
    @InjectQueue(SYNC_INTERACTIVE_QUEUE) interactive: Queue<SyncQueuePayload>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.queues = { [SYNC_QUEUE]: bulk, [SYNC_INTERACTIVE_QUEUE]: interactive };
    for (const queue of Object.values(this.queues)) {
      // connection errors: Bull reconnects on its own and readiness reports the outage
      queue.on('error', (error) => this.logger.warn({ err: error.message }, 'Queue error'));
    }
    this.unregisterDepth = metrics.registerQueueDepth(async () => {
      const depths = await Promise.all(
        this.active().map(async (name) => Object.entries(await this.depthOf(name)).map(([state, count]) => ({ queue: name, state, count }))),
      );
      return depths.flat();
    });
  }

  private readonly unregisterDepth: () => void;

  /** The queues in use: the interactive one only with lanes on. */
  private active(): QueueName[] {
    return this.config.jobs.lanes ? [SYNC_QUEUE, SYNC_INTERACTIVE_QUEUE] : [SYNC_QUEUE];
  }

  /**
   * Queues a job row; false when Redis did not answer in time. Never hangs on a dead Redis:
   * the row stays pending and the reconciler queues it once Redis is back. A second add of the
   * same row id is a no-op in Bull, so a late add is harmless.
   */
  async enqueue(jobId: string, priority: JobPriority, delayMs = 0): Promise<boolean> {
    try {
      const queue = this.queues[queueOf(priority, this.config.jobs.lanes)];
      await this.withTimeout(queue.add({ jobId }, syncJobOptions(this.config, jobId, delayMs)));
      return true;
    } catch (error) {
      this.logger.warn({ jobId, err: (error as Error).message }, 'Could not queue the job now; the reconciler will');
      return false;
    }
  }

  /** Whether the row has a Bull job on its lane's queue. */
  async isQueued(jobId: string, priority: JobPriority): Promise<boolean> {
    return (await this.withTimeout(this.queues[queueOf(priority, this.config.jobs.lanes)].getJob(jobId))) !== null;
  }

  /** Removes the row's Bull job from every queue (a cancel, or a move to another lane). */
  async remove(jobId: string): Promise<void> {
    for (const name of this.active()) {
      const job = await this.withTimeout(this.queues[name].getJob(jobId)).catch(() => null);
      await job?.remove().catch(() => undefined);
    }
  }

  /** Takes jobs of a lane; with lanes off the interactive lane has no workers (nothing is queued there). */
  process(priority: JobPriority, concurrency: number, handler: (job: Job<SyncQueuePayload>) => Promise<void>): void {
    if (priority === 'interactive' && !this.config.jobs.lanes) return;
    this.queues[queueOf(priority, this.config.jobs.lanes)].process(concurrency, handler).catch((error: Error) =>
      this.logger.error({ err: error.message, priority }, 'The queue stopped processing'),
    );
  }

  /** Bull's counts, summed over the lanes. */
  async depth(): Promise<Record<string, number>> {
    const total: Record<string, number> = {};
    for (const name of this.active()) {
      for (const [state, count] of Object.entries(await this.depthOf(name))) total[state] = (total[state] ?? 0) + count;
    }
    return total;
  }

  /** Jobs waiting on the interactive lane (0 with lanes off). */
  async interactiveWaiting(): Promise<number> {
    if (!this.config.jobs.lanes) return 0;
    return this.withTimeout(this.queues[SYNC_INTERACTIVE_QUEUE].getWaitingCount());
  }

  private depthOf(name: QueueName): Promise<Record<string, number>> {
    return this.withTimeout(this.queues[name].getJobCounts() as unknown as Promise<Record<string, number>>);
  }

  /**
   * Stops taking jobs; the active ones finish first (Bull waits for them), within the grace
   * period. Then every connection is dropped, also those still trying to reach a Redis that is down.
   */
  async close(graceMs = this.config.jobs.shutdownGraceMs): Promise<void> {
    await Promise.all(Object.values(this.queues).map((queue) => this.closeOne(queue, graceMs)));
  }

  private async closeOne(queue: Queue<SyncQueuePayload>, graceMs: number): Promise<void> {
    // closing a queue that never connected would open a connection just to close it
    if (!(queue as unknown as { clientInitialized?: boolean }).clientInitialized) return;
    await Promise.race([queue.close().catch(() => undefined), new Promise((r) => setTimeout(r, graceMs).unref())]);
    // Bull lists the connections it opened; reading queue.client etc. would open new ones
    for (const client of (queue as unknown as { clients: { disconnect(): void }[] }).clients ?? []) {
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
