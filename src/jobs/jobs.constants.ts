import type { JobOptions } from 'bull';
import type { AppConfig } from '../config/app-config';

import type { JobPriority } from './records/spotify-sync-job.entity';

/** The bulk lane keeps the queue name of the single queue before lanes, so rows queued then carry on. */
export const SYNC_QUEUE = 'spotify-sync';
export const SYNC_INTERACTIVE_QUEUE = 'spotify-sync-interactive';

/** The Bull queue of a lane; with JOB_LANES=off everything goes to the one (bulk) queue. */
export function queueOf(priority: JobPriority, lanes: boolean): typeof SYNC_QUEUE | typeof SYNC_INTERACTIVE_QUEUE {
  return lanes && priority === 'interactive' ? SYNC_INTERACTIVE_QUEUE : SYNC_QUEUE;
}

/** Bull keeps only the row id; the row in spotify_sync_jobs is the source of truth. */
export interface SyncQueuePayload {
  jobId: string;
}

export function syncJobOptions(config: AppConfig, jobId: string, delayMs = 0): JobOptions {
  return {
    jobId,
    attempts: config.jobs.attempts,
    backoff: { type: 'exponential', delay: config.jobs.backoffMs },
    delay: Math.max(0, delayMs),
    // the row keeps the history; Bull entries are removed so a retried row can be queued again
    removeOnComplete: true,
    removeOnFail: true,
  };
}

export const SCHEDULES = {
  staleTrackSync: 'stale-track-sync',
  popularityUpdate: 'popularity-update',
} as const;
