import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { SongEnrichmentService } from '../../songs/song-enrichment.service';
import { SpotifyCapabilitiesService } from '../../spotify/spotify-capabilities.service';
import { NormalisedJobRequest, staleAfterMs } from '../parameters/job-parameters';
import { SavedTrack } from '../records/saved-track.entity';
import type { SavedTrackRepository } from '../records/saved-track.repository';
import type { JobType, SpotifySyncJob } from '../records/spotify-sync-job.entity';
import { SpotifySyncJob as SyncJobEntity } from '../records/spotify-sync-job.entity';
import type { SyncJobRepository } from '../records/sync-job.repository';
import { JobBudgetEstimator } from './job-budget.estimator';
import { estimatedCompletion, planRequests, PlanTier } from './job-plan';

export interface JobPlan {
  type: JobType;
  /** songs the job would touch now; user_library: the saved tracks last imported, null before a first import */
  songs: number | null;
  requests: number;
  estimatedSeconds: number | null;
  tier: PlanTier;
  budgetPer30s: number | null;
}

/**
 * What a job would do, without creating it (dryRun), and when a running one should end. The songs
 * are the run's own selection: the stale set as the run would count it (back-off excluded), or the
 * named songs that are linked (unlinked and unknown ones fail without a request).
 */
@Injectable()
export class JobPlannerService {
  constructor(
    private readonly em: EntityManager,
    private readonly enrichment: SongEnrichmentService,
    private readonly capabilities: SpotifyCapabilitiesService,
    private readonly budget: JobBudgetEstimator,
  ) {}

  async plan(request: NormalisedJobRequest): Promise<JobPlan> {
    const tier = await this.capabilities.tier();
    // no popularity in development: the run ends at once, touching nothing
    const songs = request.type === 'popularity_update' && tier === 'development' ? 0 : await this.songsOf(request);
    const requests = planRequests(request.type, songs ?? 0, tier);
    const { seconds, per30s } = await this.budget.estimate(requests, request.priority);
    return { type: request.type, songs, requests, estimatedSeconds: seconds === null ? null : Math.ceil(seconds), tier, budgetPer30s: per30s };
  }

  /** progress.estimatedCompletionAt of a running job: its songs left at the budget's rate (null when unknown). */
  async completionOf(job: SpotifySyncJob): Promise<string | null> {
    if (job.status !== 'running' || job.progressTotal === null || job.progressTotal === undefined) return null;
    const left = Math.max(0, job.progressTotal - job.progressDone - job.progressFailed);
    const requests = planRequests(job.jobType, left, await this.capabilities.tier());
    return estimatedCompletion(new Date(), (await this.budget.estimate(requests, job.priority)).seconds);
  }

  private async songsOf(request: NormalisedJobRequest): Promise<number | null> {
    const em = this.em.fork();
    if (request.type === 'user_library') {
      const saved = await (em.getRepository(SavedTrack) as SavedTrackRepository).summary(request.targetId!);
      if (saved.count > 0) return saved.count;
      const imported = await (em.getRepository(SyncJobEntity) as SyncJobRepository).lastCompletedCheckpoint('user_library', request.targetId!);
      return imported ? 0 : null;
    }
    const named = request.targetId ? [request.targetId] : request.parameters.songIds;
    if (named) {
      const links = await this.enrichment.findLinks(em, named);
      return named.filter((id) => links.get(id)).length;
    }
    const cutoff = new Date(Date.now() - staleAfterMs(request.parameters.staleAfter)!);
    return this.enrichment.countStale(em, request.type === 'popularity_update' ? 'last_popularity_update' : 'spotify_last_sync', cutoff);
  }
}
