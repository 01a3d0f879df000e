import { SqlRepository } from '../../common/sql-repository';
import type { SyncJobFailure } from './sync-job-failure.entity';

export interface ItemFailure {
  itemId: string;
  reason: string;
}

/** spotify_sync_job_failures: the items a job could not process, one row per item. */
export class SyncJobFailureRepository extends SqlRepository<SyncJobFailure> {
  async record(jobId: string, failures: ItemFailure[]): Promise<void> {
    if (!failures.length) return;
    await this.execute(
      `INSERT INTO spotify_sync_job_failures (job_id, item_id, reason)
       SELECT ?::uuid, v.item_id, v.reason FROM jsonb_to_recordset(?::jsonb) AS v(item_id varchar, reason text)
       ON CONFLICT (job_id, item_id) DO UPDATE SET reason = EXCLUDED.reason`,
      [jobId, JSON.stringify(failures.map((f) => ({ item_id: f.itemId, reason: f.reason })))],
    );
  }

  listFor(jobId: string, limit = 1000): Promise<SyncJobFailure[]> {
    return this.find({ job: jobId }, { orderBy: { id: 'asc' }, limit });
  }
}
