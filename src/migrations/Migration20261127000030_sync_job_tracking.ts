import { Migration } from '@mikro-orm/migrations';

/**
 * Additive, for the sync jobs:
 * - spotify_sync_jobs: a dedupe key unique among active jobs (identical requests under
 *   concurrency collapse in the database, not in a read-then-write), a schedule key unique for
 *   ever (several replicas firing one tick make one job), progress, a checkpoint, the outcome of
 *   a job that had nothing to do, and when a delayed job may run again;
 * - spotify_sync_job_failures: per-item failures with their reason;
 * - songs.spotify_track_gone_at: a Spotify id Spotify no longer knows is not fetched again;
 * - spotify_saved_tracks: which user saved which track, so library re-imports see removals.
 */
export class Migration20261127000030_sync_job_tracking extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
ALTER TABLE spotify_sync_jobs
ADD COLUMN dedupe_key VARCHAR(64),
ADD COLUMN schedule_key VARCHAR(255),
ADD COLUMN progress_total INTEGER,
ADD COLUMN progress_done INTEGER NOT NULL DEFAULT 0,
ADD COLUMN progress_failed INTEGER NOT NULL DEFAULT 0,
ADD COLUMN checkpoint JSONB,
ADD COLUMN result_message TEXT,
ADD COLUMN run_after TIMESTAMP,
ADD COLUMN updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP;`);
    this.addSql(
      "CREATE UNIQUE INDEX idx_spotify_jobs_active_dedupe ON spotify_sync_jobs(dedupe_key) WHERE status IN ('pending', 'running');",
    );
    this.addSql('CREATE UNIQUE INDEX idx_spotify_jobs_schedule_key ON spotify_sync_jobs(schedule_key) WHERE schedule_key IS NOT NULL;');
    this.addSql('CREATE INDEX idx_spotify_jobs_target ON spotify_sync_jobs(target_id, created_at);');
    this.addSql(`
CREATE TABLE spotify_sync_job_failures (
    id BIGSERIAL PRIMARY KEY,
    job_id UUID NOT NULL REFERENCES spotify_sync_jobs(id) ON DELETE CASCADE,
    item_id VARCHAR(255) NOT NULL,
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (job_id, item_id)
);`);
    this.addSql('ALTER TABLE songs ADD COLUMN spotify_track_gone_at TIMESTAMP;');
    this.addSql(`
CREATE TABLE spotify_saved_tracks (
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    spotify_track_id VARCHAR(22) NOT NULL,
    song_id UUID REFERENCES songs(id) ON DELETE SET NULL,
    added_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    removed_at TIMESTAMP,
    PRIMARY KEY (user_id, spotify_track_id)
);`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP TABLE IF EXISTS spotify_saved_tracks;');
    this.addSql('ALTER TABLE songs DROP COLUMN IF EXISTS spotify_track_gone_at;');
    this.addSql('DROP TABLE IF EXISTS spotify_sync_job_failures;');
    this.addSql('DROP INDEX IF EXISTS idx_spotify_jobs_target;');
    this.addSql('DROP INDEX IF EXISTS idx_spotify_jobs_schedule_key;');
    this.addSql('DROP INDEX IF EXISTS idx_spotify_jobs_active_dedupe;');
    this.addSql(`
ALTER TABLE spotify_sync_jobs
DROP COLUMN dedupe_key, DROP COLUMN schedule_key, DROP COLUMN progress_total, DROP COLUMN progress_done,
DROP COLUMN progress_failed, DROP COLUMN checkpoint, DROP COLUMN result_message, DROP COLUMN run_after,
DROP COLUMN updated_at;`);
  }
}
