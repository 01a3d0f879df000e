import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { SpotifyCapabilitiesService } from '../../spotify/spotify-capabilities.service';
import { SCHEDULES } from '../jobs.constants';
import { SWEEP_STALE_AFTER } from '../parameters/job-parameters';
import { SyncJobsService } from '../sync-jobs.service';

/**
 * Schedules only enqueue. The job's schedule key is the schedule's name and its fire time, unique
 * in the database, so several worker replicas firing the same tick create one job.
 */
@Injectable()
export class SyncScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(SyncScheduler.name);

  constructor(
    private readonly jobs: SyncJobsService,
    private readonly capabilities: SpotifyCapabilitiesService,
    private readonly registry: SchedulerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.register(SCHEDULES.staleTrackSync, this.config.jobs.trackSyncCron, (at) => this.enqueueStaleTrackSync(at));
    this.register(SCHEDULES.popularityUpdate, this.config.jobs.popularityCron, (at) => this.enqueuePopularityUpdate(at));
  }

  /** At the tier's staleness (SWEEP_STALE_AFTER), so a sweep stays inside the request budget. */
  async enqueueStaleTrackSync(firedAt: Date): Promise<void> {
    const staleAfter = SWEEP_STALE_AFTER[await this.capabilities.tier()].track_sync;
    await this.jobs.create({ type: 'track_sync', parameters: { staleAfter } }, scheduleKey(SCHEDULES.staleTrackSync, firedAt));
  }

  /** Only where the tier provides popularity. */
  async enqueuePopularityUpdate(firedAt: Date): Promise<void> {
    if ((await this.capabilities.report()).available.popularity === false) {
      this.logger.log('Skipping the popularity schedule: this Spotify app gets no popularity');
      return;
    }
    const staleAfter = SWEEP_STALE_AFTER.extended.popularity_update;
    await this.jobs.create({ type: 'popularity_update', parameters: { staleAfter } }, scheduleKey(SCHEDULES.popularityUpdate, firedAt));
  }

  private register(name: string, expression: string, tick: (firedAt: Date) => Promise<void>): void {
    if (expression === 'off') return;
    const job = CronJob.from({
      cronTime: expression,
      onTick: () => {
        // the tick's own minute, the same on every replica whatever its clock skew within it
        const firedAt = new Date(Math.floor(Date.now() / 60_000) * 60_000);
        tick(firedAt).catch((error) => this.logger.error({ err: (error as Error).message, schedule: name }, 'Schedule tick failed'));
      },
      start: true,
      timeZone: 'UTC',
    });
    this.registry.addCronJob(name, job);
  }
}

export function scheduleKey(name: string, firedAt: Date): string {
  return `${name}@${firedAt.toISOString()}`;
}
