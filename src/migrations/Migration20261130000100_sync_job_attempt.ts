import { Migration } from '@mikro-orm/migrations';

/**
 * Additive: the claim number of a sync job row. Each claim increments it, and a worker's later
 * writes apply only while the row still carries its number, so a worker that lost its job (a
 * false "stalled") cannot overwrite what the new claimant does.
 */
export class Migration20261130000100_sync_job_attempt extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE spotify_sync_jobs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE spotify_sync_jobs DROP COLUMN attempt;');
  }
}
