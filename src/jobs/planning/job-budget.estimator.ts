import { Injectable } from '@nestjs/common';
import type { JobPriority } from '../records/spotify-sync-job.entity';

export interface BudgetEstimate {
  /** seconds the requests take at the budget's rate; null when the service has no rate to go by */
  seconds: number | null;
  /** the budget's requests per rolling 30 s; null when there is none */
  per30s: number | null;
}

/** What the jobs ask of the shared Spotify request budget for plans and completion estimates. */
@Injectable()
export class JobBudgetEstimator {
  async estimate(requests: number, _priority: JobPriority): Promise<BudgetEstimate> {
    return { seconds: requests <= 0 ? 0 : null, per30s: null };
  }
}
