import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { SongEnrichmentService } from '../../songs/song-enrichment.service';
import { SpotifyCapabilitiesService } from '../../spotify/spotify-capabilities.service';
import { NO_POPULARITY, runStaleSync } from '../runner/chunked-sync';
import type { HandlerOutcome, JobRunContext, SyncJobHandler } from '../runner/sync-job.context';

/** popularity_update: popularity only, for linked songs whose last popularity update is older than the cutoff. */
@Injectable()
export class PopularityUpdateHandler implements SyncJobHandler<'popularity_update'> {
  constructor(
    private readonly enrichment: SongEnrichmentService,
    private readonly capabilities: SpotifyCapabilitiesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(ctx: JobRunContext<'popularity_update'>): Promise<HandlerOutcome> {
    if ((await this.capabilities.report()).available.popularity === false) {
      return { kind: 'completed', resultMessage: NO_POPULARITY };
    }
    return runStaleSync(ctx, this.enrichment, {
      mode: 'popularity',
      column: 'last_popularity_update',
      chunkSize: this.config.jobs.chunkSize,
      report: () => this.capabilities.report(),
    });
  }
}
