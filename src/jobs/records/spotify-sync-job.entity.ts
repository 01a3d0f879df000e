import { Entity, EntityRepositoryType, Index, Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { SyncJobRepository } from './sync-job.repository';

export const JOB_TYPES = ['track_sync', 'user_library', 'popularity_update'] as const;
export type JobType = (typeof JOB_TYPES)[number];
export const JOB_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** interactive: a caller named the song(s) or the user; bulk: schedules and sweeps (src/jobs/README.md, "Lanes"). */
export const JOB_PRIORITIES = ['interactive', 'bulk'] as const;
export type JobPriority = (typeof JOB_PRIORITIES)[number];

/** The source of truth for every sync job; the Bull job only carries this row's id. */
@Entity({ tableName: 'spotify_sync_jobs', repository: () => SyncJobRepository })
@Index({ name: 'idx_spotify_jobs_status', properties: ['status', 'createdAt'] })
@Index({ name: 'idx_spotify_jobs_type', properties: ['jobType', 'status'] })
@Index({ name: 'idx_spotify_jobs_target', properties: ['targetId', 'createdAt'] })
@Index({
  name: 'idx_spotify_jobs_active_dedupe',
  expression:
    `create unique index "idx_spotify_jobs_active_dedupe" on "spotify_sync_jobs" ("dedupe_key") where status in ('pending', 'running')`,
})
@Index({
  name: 'idx_spotify_jobs_schedule_key',
  expression: 'create unique index "idx_spotify_jobs_schedule_key" on "spotify_sync_jobs" ("schedule_key") where schedule_key is not null',
})
export class SpotifySyncJob {
  [EntityRepositoryType]?: SyncJobRepository;

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Property({ length: 50 })
  jobType!: JobType;

  @Property({ length: 20, default: 'pending' })
  status: JobStatus & Opt = 'pending';

  @Property({ length: 255, nullable: true })
  targetId?: string | null;

  @Property({ type: 'jsonb', nullable: true })
  parameters?: Record<string, unknown> | null;

  @Property({ columnType: 'timestamp', nullable: true })
  startedAt?: Date | null;

  @Property({ columnType: 'timestamp', nullable: true })
  completedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  errorMessage?: string | null;

  @Property({ type: 'integer', nullable: true, default: 0 })
  retryCount?: number | null = 0;

  @Property({ columnType: 'timestamp', nullable: true, defaultRaw: 'CURRENT_TIMESTAMP' })
  createdAt?: Date = new Date();

  // additive (Migration20261127000030)
  @Property({ length: 64, nullable: true })
  dedupeKey?: string | null;

  @Property({ length: 255, nullable: true })
  scheduleKey?: string | null;

  @Property({ type: 'integer', nullable: true })
  progressTotal?: number | null;

  @Property({ type: 'integer', default: 0 })
  progressDone: number & Opt = 0;

  @Property({ type: 'integer', default: 0 })
  progressFailed: number & Opt = 0;

  @Property({ type: 'jsonb', nullable: true })
  checkpoint?: Record<string, unknown> | null;

  /** Why a job that completed had nothing (or less) to do, e.g. no popularity in this access tier. */
  @Property({ type: 'text', nullable: true })
  resultMessage?: string | null;

  /** A job delayed by a long rate-limit or quota pause runs again after this. */
  @Property({ columnType: 'timestamp', nullable: true })
  runAfter?: Date | null;

  @Property({ columnType: 'timestamp', defaultRaw: 'CURRENT_TIMESTAMP', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();

  /** The claim number: incremented by each claim; a worker writes only while it is current (Migration20261130000100). */
  @Property({ type: 'integer', default: 0 })
  attempt: number & Opt = 0;

  /** The job's lane (Migration20261130000900); rows from before it ran on the one queue, now the bulk lane's. */
  @Property({ length: 16, default: 'bulk' })
  priority: JobPriority & Opt = 'bulk';
}
