import { Migration } from '@mikro-orm/migrations';

/** Additive: the Spotify request rate learnt per client id (SPOTIFY_REQUEST_BUDGET=auto), kept across restarts. */
export class Migration20261130000700_spotify_request_budgets extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
CREATE TABLE spotify_request_budgets (
    client_id VARCHAR(255) NOT NULL,
    per30s INTEGER NOT NULL,
    phase VARCHAR(10) NOT NULL,
    ceiling INTEGER NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT spotify_request_budgets_pkey PRIMARY KEY (client_id)
);`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP TABLE IF EXISTS spotify_request_budgets;');
  }
}
