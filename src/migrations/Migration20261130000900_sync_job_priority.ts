import { Migration } from '@mikro-orm/migrations';

/**
 * Additive: a job's lane. `interactive` (a caller named the song(s) or the user) or `bulk`
 * (schedules and sweeps); rows from before this release were all queued on the one queue,
 * which is the bulk lane's. The saved-tracks index serves the sweep's tie-break (songs saved
 * by more connected users first).
 */
export class Migration20261130000900_sync_job_priority extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE spotify_sync_jobs ADD COLUMN priority VARCHAR(16) NOT NULL DEFAULT 'bulk';`);
    this.addSql('CREATE INDEX idx_spotify_saved_tracks_song ON spotify_saved_tracks(song_id) WHERE removed_at IS NULL AND song_id IS NOT NULL;');
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS idx_spotify_saved_tracks_song;');
    this.addSql('ALTER TABLE spotify_sync_jobs DROP COLUMN priority;');
  }
}
