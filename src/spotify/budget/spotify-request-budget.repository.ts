import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { LearningPhase } from './request-budget.policy';

export interface LearntBudget {
  rate: number;
  phase: LearningPhase;
  ceiling: number | null;
  updatedAt: Date;
}

/** Every statement on spotify_request_budgets. */
@Injectable()
export class SpotifyRequestBudgetRepository {
  constructor(private readonly em: EntityManager) {}

  async find(clientId: string): Promise<LearntBudget | null> {
    const rows = await this.em
      .getConnection()
      .execute<{ per30s: number; phase: string; ceiling: number | null; updated_at: Date }[]>(
        'SELECT per30s, phase, ceiling, updated_at FROM spotify_request_budgets WHERE client_id = ?',
        [clientId],
      );
    const row = rows[0];
    if (!row) return null;
    return { rate: row.per30s, phase: row.phase === 'aimd' ? 'aimd' : 'start', ceiling: row.ceiling, updatedAt: row.updated_at };
  }

  async save(clientId: string, learnt: Omit<LearntBudget, 'updatedAt'>, at: Date): Promise<void> {
    await this.em.getConnection().execute(
      `INSERT INTO spotify_request_budgets (client_id, per30s, phase, ceiling, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET per30s = EXCLUDED.per30s, phase = EXCLUDED.phase,
         ceiling = EXCLUDED.ceiling, updated_at = EXCLUDED.updated_at`,
      [clientId, learnt.rate, learnt.phase, learnt.ceiling, at.toISOString()],
      'run',
    );
  }
}
