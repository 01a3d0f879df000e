import { decodeCursor, fingerprint, keysetPage, Page } from '../../common/cursor';
import { NOW_UTC, SqlRepository } from '../../common/sql-repository';
import type { JobPriority, JobStatus, JobType, SpotifySyncJob } from './spotify-sync-job.entity';
import { SpotifySyncJob as SyncJobEntity } from './spotify-sync-job.entity';

/** A worker's hold on a job row: its id and the claim number it got. */
export interface JobLease {
  id: string;
  attempt: number;
}

export interface JobProgress {
  total: number | null;
  done: number;
  failed: number;
}

export interface NewJobRow {
  type: JobType;
  targetId: string | null;
  parameters: object;
  dedupeKey: string;
  scheduleKey: string | null;
  priority: JobPriority;
}

export interface JobListFilter {
  status?: JobStatus;
  type?: JobType;
  targetId?: string;
  limit?: number;
  cursor?: string;
}

/** A fenced write found the row claimed again by someone else: this worker must stop. */
export class JobLeaseLostError extends Error {
  constructor(readonly lease: JobLease) {
    super(`Sync job ${lease.id} was claimed again; attempt ${lease.attempt} is stale`);
    this.name = 'JobLeaseLostError';
  }
}

/**
 * spotify_sync_jobs, and the job state machine: one method per transition, each with its WHERE
 * guard. pending → running (claim) → completed | failed, or back to pending (requeue on
 * shutdown, backOff after a transient error, delay by a rate limit); failed → pending (retry);
 * pending → cancelled (cancel). Every write of a running job is fenced by its lease: it applies
 * only `WHERE id = ? AND attempt = ?`, so a stale worker changes nothing.
 */
export class SyncJobRepository extends SqlRepository<SpotifySyncJob> {
  /** Inserts a job unless an identical one is pending/running or the schedule tick already made one. */
  async insertUnlessActive(row: NewJobRow): Promise<SpotifySyncJob | null> {
    const rows = await this.execute(
      `INSERT INTO spotify_sync_jobs (job_type, target_id, parameters, dedupe_key, schedule_key, priority)
       VALUES (?, ?, ?::jsonb, ?, ?, ?)
       ON CONFLICT DO NOTHING
       RETURNING *`,
      [row.type, row.targetId, JSON.stringify(row.parameters), row.dedupeKey, row.scheduleKey, row.priority],
    );
    return rows.length ? this.toEntity(rows[0]) : null;
  }

  findActive(dedupeKey: string, scheduleKey?: string | null): Promise<SpotifySyncJob | null> {
    const active = { dedupeKey, status: { $in: ['pending', 'running'] as JobStatus[] } };
    return this.findOne(scheduleKey ? { $or: [{ scheduleKey }, active] } : active);
  }

  async list(query: JobListFilter): Promise<Page<SpotifySyncJob>> {
    const limit = query.limit ?? 50;
    const knex = this.getEntityManager().getKnex();
    const qb = knex('spotify_sync_jobs').select('*', knex.raw('created_at::text as cursor_key'));
    if (query.status) qb.where('status', query.status);
    if (query.type) qb.where('job_type', query.type);
    if (query.targetId) qb.where('target_id', query.targetId);
    if (query.cursor) {
      const [createdAt, id] = decodeCursor(query.cursor, fingerprint({ ...query }));
      qb.whereRaw('(created_at, id) < (?::timestamp, ?)', [createdAt, id]);
    }
    const rows: Record<string, unknown>[] = await qb
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit + 1);
    return keysetPage(rows, { ...query }, (row) => this.toEntity(row));
  }

  /** The checkpoint of the newest completed job of this type and target (e.g. the last library pass). */
  async lastCompletedCheckpoint(type: JobType, targetId: string): Promise<Record<string, unknown> | null> {
    const rows = await this.execute<{ checkpoint: Record<string, unknown> | null }[]>(
      `SELECT checkpoint FROM spotify_sync_jobs WHERE job_type = ? AND target_id = ? AND status = 'completed'
        ORDER BY completed_at DESC NULLS LAST, created_at DESC LIMIT 1`,
      [type, targetId],
    );
    return rows[0]?.checkpoint ?? null;
  }

  /** Rows that must have a Bull job: pending or running, interactive first, then oldest first. */
  activeForQueue(limit = 500): Promise<{ id: string; run_after: Date | string | null; priority: JobPriority }[]> {
    return this.execute(
      `SELECT id, run_after, priority FROM spotify_sync_jobs WHERE status IN ('pending', 'running')
        ORDER BY priority = 'interactive' DESC, created_at LIMIT ?`,
      [limit],
    );
  }

  /**
   * A pending bulk job that an interactive caller asked for again moves to the interactive lane; the
   * row as it now is, or null when it is not a pending bulk job (a running one keeps its lane).
   */
  async promote(id: string): Promise<SpotifySyncJob | null> {
    const rows = await this.execute<Record<string, unknown>[]>(
      `UPDATE spotify_sync_jobs SET priority = 'interactive', updated_at = ${NOW_UTC}
        WHERE id = ? AND status = 'pending' AND priority = 'bulk' RETURNING *`,
      [id],
    );
    return rows.length ? this.toEntity(rows[0]) : null;
  }

  /**
   * pending → running, with a new claim number. A row already running was left by a worker that
   * died (or is thought dead): this pick-up is a re-attempt and counts in retry_count, and the
   * old worker's lease is void from here on. A row delayed by a rate limit waits for its time.
   */
  async claim(id: string): Promise<SpotifySyncJob | null> {
    const rows = await this.execute(
      `UPDATE spotify_sync_jobs
          SET retry_count = COALESCE(retry_count, 0) + CASE WHEN status = 'running' THEN 1 ELSE 0 END,
              attempt = attempt + 1,
              status = 'running', started_at = COALESCE(started_at, ${NOW_UTC}), run_after = NULL, updated_at = ${NOW_UTC}
        WHERE id = ? AND status IN ('pending', 'running') AND (run_after IS NULL OR run_after <= ${NOW_UTC})
        RETURNING *`,
      [id],
    );
    return rows.length ? this.toEntity(rows[0]) : null;
  }

  /** Progress and checkpoint in one write; inside a chunk's transaction, a lost lease rolls the chunk back. */
  async progress(lease: JobLease, progress: JobProgress, checkpoint: object): Promise<void> {
    const applied = await this.fenced(lease, 'progress_total = ?, progress_done = ?, progress_failed = ?, checkpoint = ?::jsonb', [
      progress.total,
      progress.done,
      progress.failed,
      JSON.stringify(checkpoint),
    ]);
    if (!applied) throw new JobLeaseLostError(lease);
  }

  /** running → completed; the row as it now is, or null when the lease was lost. */
  complete(lease: JobLease, resultMessage: string | null): Promise<SpotifySyncJob | null> {
    return this.fencedRow(lease, `status = 'completed', completed_at = ${NOW_UTC}, error_message = NULL, result_message = ?`, [resultMessage]);
  }

  /** running → failed, for good (until retried by hand); the row as it now is, or null when the lease was lost. */
  fail(lease: JobLease, errorMessage: string): Promise<SpotifySyncJob | null> {
    return this.fencedRow(lease, `status = 'failed', completed_at = ${NOW_UTC}, error_message = ?`, [errorMessage]);
  }

  /** running → pending until `runAfter` (a long rate-limit pause); the reconciler queues it again. */
  delay(lease: JobLease, runAfter: Date, resultMessage: string): Promise<boolean> {
    return this.fenced(lease, `status = 'pending', run_after = ?, result_message = ?`, [runAfter, resultMessage]);
  }

  /** running → pending after a transient error: Bull retries it with backoff; a re-attempt counts. */
  backOff(lease: JobLease, errorMessage: string): Promise<boolean> {
    return this.fenced(lease, `status = 'pending', error_message = ?, retry_count = COALESCE(retry_count, 0) + 1`, [errorMessage]);
  }

  /** running → pending at a checkpoint (the worker is shutting down); another run continues. */
  requeue(lease: JobLease): Promise<boolean> {
    return this.fenced(lease, `status = 'pending'`);
  }

  /**
   * failed → pending by hand, with its error cleared; retry_count counts it. Refused while an
   * identical job is pending or running.
   */
  async retry(id: string): Promise<boolean> {
    const rows = await this.execute(
      `UPDATE spotify_sync_jobs
          SET status = 'pending', error_message = NULL, completed_at = NULL, run_after = NULL,
              retry_count = COALESCE(retry_count, 0) + 1, updated_at = ${NOW_UTC}
        WHERE id = ? AND status = 'failed'
          AND NOT EXISTS (SELECT 1 FROM spotify_sync_jobs o
                           WHERE o.dedupe_key = spotify_sync_jobs.dedupe_key AND o.status IN ('pending', 'running'))
        RETURNING id`,
      [id],
    );
    return rows.length > 0;
  }

  /** pending → cancelled; a running job finishes its work. */
  async cancel(id: string): Promise<boolean> {
    const rows = await this.execute(
      `UPDATE spotify_sync_jobs SET status = 'cancelled', completed_at = ${NOW_UTC}, updated_at = ${NOW_UTC}
        WHERE id = ? AND status = 'pending' RETURNING id`,
      [id],
    );
    return rows.length > 0;
  }

  /** pending → cancelled for a deleted user's library imports. */
  async cancelPendingForUser(userId: string): Promise<void> {
    await this.execute(
      `UPDATE spotify_sync_jobs SET status = 'cancelled', completed_at = ${NOW_UTC}, updated_at = ${NOW_UTC},
              result_message = 'The user was deleted'
        WHERE target_id = ? AND job_type = 'user_library' AND status = 'pending'`,
      [userId],
    );
  }

  private async fenced(lease: JobLease, assignments: string, params: unknown[] = []): Promise<boolean> {
    const rows = await this.execute(
      `UPDATE spotify_sync_jobs SET ${assignments}, updated_at = ${NOW_UTC}
        WHERE id = ? AND attempt = ? AND status = 'running' RETURNING id`,
      [...params, lease.id, lease.attempt],
    );
    return rows.length > 0;
  }

  private async fencedRow(lease: JobLease, assignments: string, params: unknown[]): Promise<SpotifySyncJob | null> {
    const rows = await this.execute<Record<string, unknown>[]>(
      `UPDATE spotify_sync_jobs SET ${assignments}, updated_at = ${NOW_UTC}
        WHERE id = ? AND attempt = ? AND status = 'running' RETURNING *`,
      [...params, lease.id, lease.attempt],
    );
    return rows.length ? this.toEntity(rows[0]) : null;
  }

  private toEntity(row: Record<string, unknown>): SpotifySyncJob {
    return this.getEntityManager().map(SyncJobEntity, row);
  }
}
