import type { EntityManager } from '@mikro-orm/postgresql';
import type { JobCheckpointByType, JobParametersByType } from '../parameters/job-parameters';
import type { JobType, SpotifySyncJob } from '../records/spotify-sync-job.entity';
import type { ItemFailure } from '../records/sync-job-failure.repository';
import type { JobProgress } from '../records/sync-job.repository';

export type { ItemFailure } from '../records/sync-job-failure.repository';
export type Progress = JobProgress;

/** What a handler gets: the row, its typed parameters and checkpoint, and ways to record progress. */
export interface JobRunContext<T extends JobType = JobType> {
  readonly job: SpotifySyncJob;
  readonly em: EntityManager;
  /** parsed once when the job was claimed */
  readonly parameters: JobParametersByType[T];
  /** carried across restarts; written together with the progress */
  readonly checkpoint: JobCheckpointByType[T];
  readonly progress: Progress;
  /**
   * Saves progress + checkpoint in one write: a restart continues from here. Pass the chunk's
   * transaction so that its writes and its checkpoint commit together. Throws JobLeaseLostError
   * when another worker claimed the job meanwhile (the transaction then rolls back).
   */
  save(em?: EntityManager): Promise<void>;
  recordFailures(failures: ItemFailure[], em?: EntityManager): Promise<void>;
  /** true once the worker is shutting down: stop at the next chunk boundary */
  stopping(): boolean;
  /**
   * After a chunk met a wait for the request budget: sleeps `ms` in the worker when it is short (up
   * to JOB_YIELD_MAX_MS). false: the wait is too long (delay the job instead) or the worker is stopping.
   */
  waitOut(ms: number): Promise<boolean>;
  /** A bulk job between chunks: returns once no interactive job is waiting (bounded), at once otherwise. */
  yieldToInteractive(): Promise<void>;
}

export type HandlerOutcome =
  | { kind: 'completed'; resultMessage?: string }
  /** stopped at a checkpoint because the worker is shutting down; another run continues */
  | { kind: 'interrupted' };

export interface SyncJobHandler<T extends JobType = JobType> {
  run(context: JobRunContext<T>): Promise<HandlerOutcome>;
}
