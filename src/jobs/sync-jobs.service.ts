import { EntityManager } from '@mikro-orm/postgresql';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { Page } from '../common/cursor';
import { SpotifyConnectionService } from '../connections/spotify-connection.service';
import { SongsService } from '../songs/songs.service';
import { UsersService } from '../users/users.service';
import type { CreateSyncJobDto, ListSyncJobsQuery } from './api/sync-jobs.dto';
import { normaliseJobRequest, NormalisedJobRequest } from './parameters/job-parameters';
import { SpotifySyncJob } from './records/spotify-sync-job.entity';
import { SyncJobFailure } from './records/sync-job-failure.entity';
import type { SyncJobFailureRepository } from './records/sync-job-failure.repository';
import type { SyncJobRepository } from './records/sync-job.repository';
import { SyncJobQueue } from './queue/sync-job.queue';
import { JobPlan, JobPlannerService } from './planning/job-planner.service';

export interface CreatedJob {
  job: SpotifySyncJob;
  /** false: an identical pending/running job (or this schedule tick's job) was returned instead */
  created: boolean;
}

/** The jobs API for every role: create (row first, then a Bull job), read, retry, cancel. */
@Injectable()
export class SyncJobsService {
  constructor(
    private readonly em: EntityManager,
    private readonly queue: SyncJobQueue,
    private readonly users: UsersService,
    private readonly songs: SongsService,
    private readonly connections: SpotifyConnectionService,
    private readonly planner: JobPlannerService,
  ) {}

  /** A row first (the source of truth), then a Bull job carrying its id. */
  async create(dto: CreateSyncJobDto, scheduleKey?: string): Promise<CreatedJob> {
    const request = normaliseJobRequest(dto.type, dto.targetId, dto.parameters, dto.priority);
    await this.assertTargetsExist(request);
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await this.jobs().insertUnlessActive({ ...request, scheduleKey: scheduleKey ?? null });
      if (inserted) {
        await this.queue.enqueue(inserted.id, inserted.priority);
        return { job: inserted, created: true };
      }
      // the same schedule tick fired elsewhere, or an identical job still pending/running
      const existing = await this.jobs().findActive(request.dedupeKey, scheduleKey);
      if (existing) return { job: await this.promoteIfAsked(existing, request), created: false };
      // the identical job finished between our insert and our read: try again
    }
    throw new ConflictException('An identical job kept changing state; try again');
  }

  /** What the job would do, without creating it: nothing is written or queued. */
  async plan(dto: CreateSyncJobDto): Promise<JobPlan> {
    const request = normaliseJobRequest(dto.type, dto.targetId, dto.parameters, dto.priority);
    await this.assertTargetsExist(request);
    return this.planner.plan(request);
  }

  /** progress.estimatedCompletionAt: only running jobs have one. */
  estimatedCompletion(job: SpotifySyncJob): Promise<string | null> {
    return this.planner.completionOf(job).catch(() => null);
  }

  /**
   * An interactive caller asking for work an identical pending bulk job will do moves that job to the
   * interactive lane, so the caller does not wait behind the sweep (a running one keeps its lane).
   */
  private async promoteIfAsked(existing: SpotifySyncJob, request: NormalisedJobRequest): Promise<SpotifySyncJob> {
    if (request.priority !== 'interactive' || existing.priority !== 'bulk') return existing;
    const promoted = await this.jobs().promote(existing.id);
    if (!promoted) return existing;
    await this.queue.remove(promoted.id);
    await this.queue.enqueue(promoted.id, 'interactive');
    return promoted;
  }

  async get(id: string): Promise<SpotifySyncJob> {
    const job = await this.jobs().findOne({ id });
    if (!job) throw new NotFoundException(`Sync job ${id} not found`);
    return job;
  }

  async failures(id: string): Promise<SyncJobFailure[]> {
    await this.get(id);
    return (this.em.fork().getRepository(SyncJobFailure) as SyncJobFailureRepository).listFor(id);
  }

  list(query: ListSyncJobsQuery): Promise<Page<SpotifySyncJob>> {
    return this.jobs().list(query);
  }

  /** A failed job goes back to pending with its error cleared; retry_count counts it. */
  async retry(id: string): Promise<SpotifySyncJob> {
    if (!(await this.jobs().retry(id))) {
      const job = await this.get(id);
      if (job.status !== 'failed') throw new ConflictException(`Only a failed job can be retried; this one is ${job.status}`);
      throw new ConflictException('An identical job is already pending or running');
    }
    const job = await this.get(id);
    await this.queue.enqueue(id, job.priority);
    return job;
  }

  /** Only a pending job can be cancelled; a running one finishes its work. */
  async cancel(id: string): Promise<SpotifySyncJob> {
    if (!(await this.jobs().cancel(id))) {
      const job = await this.get(id);
      throw new ConflictException(`Only a pending job can be cancelled; this one is ${job.status}`);
    }
    await this.queue.remove(id);
    return this.get(id);
  }

  /** Deleting a user cancels their pending jobs (in the same transaction as the delete). */
  cancelPendingForUser(userId: string, em: EntityManager): Promise<void> {
    return (em.getRepository(SpotifySyncJob) as SyncJobRepository).cancelPendingForUser(userId);
  }

  /** A fresh identity map per call, so a row changed by a worker is never served stale. */
  private jobs(): SyncJobRepository {
    return this.em.fork().getRepository(SpotifySyncJob) as SyncJobRepository;
  }

  private async assertTargetsExist(request: NormalisedJobRequest): Promise<void> {
    if (request.type === 'user_library' && request.targetId) {
      await this.users.get(request.targetId);
      if (!(await this.connections.isConnected(request.targetId))) {
        throw new ConflictException(`User ${request.targetId} has not connected a Spotify account`);
      }
    }
    if (request.type === 'track_sync') {
      const ids = request.targetId ? [request.targetId] : (request.parameters.songIds ?? []);
      if (!ids.length) return;
      const known = await this.songs.existing(ids);
      const missing = ids.filter((id) => !known.has(id));
      if (missing.length) {
        throw new NotFoundException(`Song${missing.length > 1 ? 's' : ''} not found: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
      }
    }
  }
}
