import { Injectable } from '@nestjs/common';
import { SpotifyRequestBudget } from '../../spotify/budget/spotify-request-budget';
import type { JobPriority } from '../records/spotify-sync-job.entity';

export interface BudgetEstimate {
  /** seconds the requests take at the budget's rate; null when there is no budget to go by (SPOTIFY_REQUEST_BUDGET=off) */
  seconds: number | null;
  /** the budget's requests per rolling 30 s, configured or learnt; null when off */
  per30s: number | null;
}

/** What plans and completion estimates ask of the shared Spotify request budget (src/spotify/README.md). */
@Injectable()
export class JobBudgetEstimator {
  constructor(private readonly budget: SpotifyRequestBudget) {}

  async estimate(requests: number, priority: JobPriority): Promise<BudgetEstimate> {
    const { per30s } = await this.budget.report();
    if (per30s === null) return { seconds: requests <= 0 ? 0 : null, per30s };
    return { seconds: await this.budget.estimateSeconds(requests, priority), per30s };
  }
}
