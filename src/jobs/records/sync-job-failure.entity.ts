import { Entity, EntityRepositoryType, ManyToOne, Opt, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { SyncJobFailureRepository } from './sync-job-failure.repository';
import { SpotifySyncJob } from './spotify-sync-job.entity';

/** One item (song or track) a job could not process, and why. */
@Entity({ tableName: 'spotify_sync_job_failures', repository: () => SyncJobFailureRepository })
@Unique({ name: 'spotify_sync_job_failures_job_id_item_id_key', properties: ['job', 'itemId'] })
export class SyncJobFailure {
  [EntityRepositoryType]?: SyncJobFailureRepository;

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @ManyToOne(() => SpotifySyncJob, {
    fieldName: 'job_id',
    deleteRule: 'cascade',
    updateRule: 'no action',
    foreignKeyName: 'spotify_sync_job_failures_job_id_fkey',
  })
  job!: SpotifySyncJob;

  @Property({ length: 255 })
  itemId!: string;

  @Property({ type: 'text' })
  reason!: string;

  @Property({ columnType: 'timestamp', defaultRaw: 'CURRENT_TIMESTAMP' })
  createdAt: Date & Opt = new Date();
}
