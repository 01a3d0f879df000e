import type { EntityManager } from '@mikro-orm/postgresql';
import type { SpotifySyncJob } from './spotify-sync-job.entity';

/** A failure that the same attempt will always meet: the job fails now and is never retried. */
export class PermanentJobError extends Error {}

export interface ItemFailure {
  itemId: string;
  reason: string;
}

export interface Progress {
  total: number | null;
  done: number;
  failed: number;
}

/** What a handler gets: the row, its checkpoint, and ways to record progress as it goes. */
export interface JobRunContext {
  readonly job: SpotifySyncJob;
  readonly em: EntityManager;
  /** carried across restarts; written together with the progress */
  readonly checkpoint: Record<string, unknown>;
  readonly progress: Progress;
  /**
   * Saves progress + checkpoint in one write: a restart continues from here. Pass the chunk's
   * transaction so that its writes and its checkpoint commit together.
   */
  save(em?: EntityManager): Promise<void>;
  recordFailures(failures: ItemFailure[], em?: EntityManager): Promise<void>;
  /** true once the worker is shutting down: stop at the next chunk boundary */
  stopping(): boolean;
}

export type HandlerOutcome =
  | { kind: 'completed'; resultMessage?: string }
  /** stopped at a checkpoint because the worker is shutting down; another run continues */
  | { kind: 'interrupted' };

export interface SyncJobHandler {
  run(context: JobRunContext): Promise<HandlerOutcome>;
}
