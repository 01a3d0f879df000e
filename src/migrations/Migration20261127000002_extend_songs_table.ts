import { Migration } from '@mikro-orm/migrations';

/** Seed schema, "Migration 1: Extend Songs Table", verbatim. */
export class Migration20261127000002_extend_songs_table extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
ALTER TABLE songs 
ADD COLUMN spotify_track_id VARCHAR(22) UNIQUE,
ADD COLUMN spotify_last_sync TIMESTAMP,
ADD COLUMN spotify_popularity INTEGER CHECK (spotify_popularity >= 0 AND spotify_popularity <= 100),
ADD COLUMN spotify_preview_url TEXT,
ADD COLUMN spotify_external_url TEXT,
ADD COLUMN audio_features_synced BOOLEAN DEFAULT false,
ADD COLUMN last_popularity_update TIMESTAMP,
ADD COLUMN speechiness DECIMAL(3,2) CHECK (speechiness >= 0 AND speechiness <= 1),
ADD COLUMN liveness DECIMAL(3,2) CHECK (liveness >= 0 AND liveness <= 1),
ADD COLUMN loudness DECIMAL(5,2);`);
    this.addSql(
      'CREATE INDEX idx_songs_spotify_track_id ON songs(spotify_track_id) WHERE spotify_track_id IS NOT NULL;',
    );
    this.addSql('CREATE INDEX idx_songs_spotify_sync ON songs(spotify_last_sync, audio_features_synced);');
    this.addSql(
      'CREATE INDEX idx_songs_popularity ON songs(spotify_popularity) WHERE spotify_popularity IS NOT NULL;',
    );
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS idx_songs_popularity;');
    this.addSql('DROP INDEX IF EXISTS idx_songs_spotify_sync;');
    this.addSql('DROP INDEX IF EXISTS idx_songs_spotify_track_id;');
    this.addSql(`
ALTER TABLE songs
DROP COLUMN spotify_track_id, DROP COLUMN spotify_last_sync, DROP COLUMN spotify_popularity,
DROP COLUMN spotify_preview_url, DROP COLUMN spotify_external_url, DROP COLUMN audio_features_synced,
DROP COLUMN last_popularity_update, DROP COLUMN speechiness, DROP COLUMN liveness, DROP COLUMN loudness;`);
  }
}
