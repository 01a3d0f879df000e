import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

export const JOB_TYPES = ['track_sync', 'user_library', 'popularity_update'] as const;
export type JobType = (typeof JOB_TYPES)[number];
export const JOB_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

@Entity({ tableName: 'spotify_sync_jobs' })
@Index({ name: 'idx_spotify_jobs_status', properties: ['status', 'createdAt'] })
@Index({ name: 'idx_spotify_jobs_type', properties: ['jobType', 'status'] })
export class SpotifySyncJob {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Property({ length: 50 })
  jobType!: JobType;

  @Property({ length: 20, default: 'pending' })
  status: JobStatus = 'pending';

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
}
