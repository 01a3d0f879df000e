import type { JobOptions } from 'bull';
import type { AppConfig } from '../config/app-config';

export const SYNC_QUEUE = 'spotify-sync';

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
