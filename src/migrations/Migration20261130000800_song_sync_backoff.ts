import { Migration } from '@mikro-orm/migrations';

/**
 * Additive: per-song back-off of Spotify syncs. A song whose sync fails (an id Spotify refuses, a
 * row the database refuses) counts consecutive failures and is not picked by stale runs before
 * `spotify_sync_not_before`; a successful sync clears both. The last reason is kept for operators.
 */
export class Migration20261130000800_song_sync_backoff extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE songs ADD COLUMN spotify_sync_failures INTEGER NOT NULL DEFAULT 0;');
    this.addSql('ALTER TABLE songs ADD COLUMN spotify_sync_not_before TIMESTAMP NULL;');
    this.addSql('ALTER TABLE songs ADD COLUMN spotify_sync_failure_reason TEXT NULL;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE songs DROP COLUMN spotify_sync_failure_reason;');
    this.addSql('ALTER TABLE songs DROP COLUMN spotify_sync_not_before;');
    this.addSql('ALTER TABLE songs DROP COLUMN spotify_sync_failures;');
  }
}
