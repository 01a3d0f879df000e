import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** The request rate learnt per Spotify client id (SPOTIFY_REQUEST_BUDGET=auto), so a restart does not probe from scratch. */
@Entity({ tableName: 'spotify_request_budgets' })
export class SpotifyRequestBudgetRecord {
  @PrimaryKey({ length: 255 })
  clientId!: string;

  /** Requests per rolling 30 s. */
  @Property({ type: 'integer' })
  per30s!: number;

  /** `start` (slow start, no 429 seen yet) or `aimd`. */
  @Property({ length: 10 })
  phase!: string;

  /** What the window held at the last 429; null before the first. */
  @Property({ type: 'integer', nullable: true })
  ceiling?: number | null;

  @Property({ columnType: 'timestamp' })
  updatedAt!: Date;
}
