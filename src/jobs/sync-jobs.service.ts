import { EntityManager } from '@mikro-orm/postgresql';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { decodeCursor, fingerprint, keysetPage, Page } from '../common/cursor';
import { Song } from '../songs/song.entity';
import { SpotifyConnection } from '../users/spotify-connection.entity';
import { User } from '../users/user.entity';
import { JobStatus, SpotifySyncJob } from './spotify-sync-job.entity';
import { SyncJobFailure } from './sync-job-failure.entity';
import { execute } from './sql';
import { SyncJobQueue } from './sync-job.queue';
import { normaliseJobRequest, NormalisedJobRequest } from './sync-job-request';
import type { CreateSyncJobDto, ListSyncJobsQuery } from './sync-jobs.dto';

export interface CreatedJob {
  job: SpotifySyncJob;
  /** false: an identical pending/running job (or this schedule tick's job) was returned instead */
  created: boolean;
}

@Injectable()
export class SyncJobsService {
  constructor(
    private readonly em: EntityManager,
    private readonly queue: SyncJobQueue,
  ) {}

  /** A row first (the source of truth), then a Bull job carrying its id. */
  async create(dto: CreateSyncJobDto, scheduleKey?: string): Promise<CreatedJob> {
    const request = normaliseJobRequest(dto.type, dto.targetId, dto.parameters);
    await this.assertTargetsExist(request);
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await this.insertUnlessActive(request, scheduleKey);
      if (inserted) {
        await this.queue.enqueue(inserted.id);
        return { job: inserted, created: true };
      }
      // the same schedule tick fired elsewhere, or an identical job still pending/running
      const active = { dedupeKey: request.dedupeKey, status: { $in: ['pending', 'running'] as JobStatus[] } };
      const existing = await this.em.fork().findOne(SpotifySyncJob, scheduleKey ? { $or: [{ scheduleKey }, active] } : active);
      if (existing) return { job: existing, created: false };
      // the identical job finished between our insert and our read: try again
    }
    throw new ConflictException('An identical job kept changing state; try again');
  }

  async get(id: string): Promise<SpotifySyncJob> {
    const job = await this.em.fork().findOne(SpotifySyncJob, { id });
    if (!job) throw new NotFoundException(`Sync job ${id} not found`);
    return job;
  }

  async failures(id: string): Promise<SyncJobFailure[]> {
    await this.get(id);
    return this.em.fork().find(SyncJobFailure, { job: id }, { orderBy: { id: 'asc' }, limit: 1000 });
  }

  async list(query: ListSyncJobsQuery): Promise<Page<SpotifySyncJob>> {
    const limit = query.limit ?? 50;
    const knex = this.em.getKnex();
    const qb = knex('spotify_sync_jobs').select('*', knex.raw('created_at::text as cursor_key'));
    if (query.status) qb.where('status', query.status);
    if (query.type) qb.where('job_type', query.type);
    if (query.targetId) qb.where('target_id', query.targetId);
    if (query.cursor) {
      const [createdAt, id] = decodeCursor(query.cursor, fingerprint({ ...query }));
      qb.whereRaw('(created_at, id) < (?::timestamp, ?)', [createdAt, id]);
    }
    const rows: Record<string, unknown>[] = await qb.orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ]).limit(limit + 1);
    const em = this.em.fork();
    return keysetPage(rows, { ...query }, (row) => em.map(SpotifySyncJob, row));
  }

  /** A failed job goes back to pending with its error cleared; retry_count counts it. */
  async retry(id: string): Promise<SpotifySyncJob> {
    const rows = await this.em.getConnection().execute<{ id: string }[]>(
      `UPDATE spotify_sync_jobs
          SET status = 'pending', error_message = NULL, completed_at = NULL, run_after = NULL,
              retry_count = COALESCE(retry_count, 0) + 1, updated_at = now() AT TIME ZONE 'UTC'
        WHERE id = ? AND status = 'failed'
          AND NOT EXISTS (SELECT 1 FROM spotify_sync_jobs o
                           WHERE o.dedupe_key = spotify_sync_jobs.dedupe_key AND o.status IN ('pending', 'running'))
        RETURNING id`,
      [id],
    );
    if (!rows.length) {
      const job = await this.get(id);
      if (job.status !== 'failed') throw new ConflictException(`Only a failed job can be retried; this one is ${job.status}`);
      throw new ConflictException('An identical job is already pending or running');
    }
    await this.queue.enqueue(id);
    return this.get(id);
  }

  /** Only a pending job can be cancelled; a running one finishes its work. */
  async cancel(id: string): Promise<SpotifySyncJob> {
    const rows = await this.em.getConnection().execute<{ id: string }[]>(
      `UPDATE spotify_sync_jobs SET status = 'cancelled', completed_at = now() AT TIME ZONE 'UTC', updated_at = now() AT TIME ZONE 'UTC'
        WHERE id = ? AND status = 'pending' RETURNING id`,
      [id],
    );
    if (!rows.length) {
      const job = await this.get(id);
      throw new ConflictException(`Only a pending job can be cancelled; this one is ${job.status}`);
    }
    await this.queue.remove(id);
    return this.get(id);
  }

  /** Deleting a user cancels their pending jobs (in the same transaction as the delete). */
  async cancelPendingForUser(userId: string, em: EntityManager): Promise<void> {
    await execute(
      em,
      `UPDATE spotify_sync_jobs SET status = 'cancelled', completed_at = now() AT TIME ZONE 'UTC',
              result_message = 'The user was deleted'
        WHERE target_id = ? AND job_type = 'user_library' AND status = 'pending'`,
      [userId],
    );
  }

  private async insertUnlessActive(request: NormalisedJobRequest, scheduleKey?: string): Promise<SpotifySyncJob | null> {
    const rows = await this.em.getConnection().execute<Record<string, unknown>[]>(
      `INSERT INTO spotify_sync_jobs (job_type, target_id, parameters, dedupe_key, schedule_key)
       VALUES (?, ?, ?::jsonb, ?, ?)
       ON CONFLICT DO NOTHING
       RETURNING *`,
      [request.type, request.targetId, JSON.stringify(request.parameters), request.dedupeKey, scheduleKey ?? null],
    );
    return rows.length ? this.em.fork().map(SpotifySyncJob, rows[0]) : null;
  }

  private async assertTargetsExist(request: NormalisedJobRequest): Promise<void> {
    const em = this.em.fork();
    if (request.type === 'user_library' && request.targetId) {
      if (!(await em.count(User, { id: request.targetId }))) throw new NotFoundException(`User ${request.targetId} not found`);
      if (!(await em.count(SpotifyConnection, { user: request.targetId }))) {
        throw new ConflictException(`User ${request.targetId} has not connected a Spotify account`);
      }
    }
    if (request.type === 'track_sync') {
      const ids = request.targetId ? [request.targetId] : ((request.parameters.songIds as string[] | undefined) ?? []);
      if (!ids.length) return;
      const found = await em.find(Song, { id: { $in: ids } }, { fields: ['id'] });
      const known = new Set(found.map((song) => song.id));
      const missing = ids.filter((id) => !known.has(id));
      if (missing.length) {
        throw new NotFoundException(`Song${missing.length > 1 ? 's' : ''} not found: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
      }
    }
  }
}
