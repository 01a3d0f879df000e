import { Migration } from '@mikro-orm/migrations';

/**
 * The `users` and `songs` tables that the seed schema takes as existing.
 * Audio features hold Spotify's precision: 0–1 with 3 decimals.
 */
export class Migration20261127000001_base_users_songs extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email VARCHAR(255) UNIQUE,
    display_name VARCHAR(255),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);`);
    this.addSql(`
CREATE TABLE songs (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    title VARCHAR(500) NOT NULL,
    artist VARCHAR(500) NOT NULL,
    album VARCHAR(500),
    duration_ms INTEGER CHECK (duration_ms > 0),
    isrc VARCHAR(12),
    energy DECIMAL(4,3) CHECK (energy >= 0 AND energy <= 1),
    danceability DECIMAL(4,3) CHECK (danceability >= 0 AND danceability <= 1),
    valence DECIMAL(4,3) CHECK (valence >= 0 AND valence <= 1),
    acousticness DECIMAL(4,3) CHECK (acousticness >= 0 AND acousticness <= 1),
    instrumentalness DECIMAL(4,3) CHECK (instrumentalness >= 0 AND instrumentalness <= 1),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP TABLE IF EXISTS songs;');
    this.addSql('DROP TABLE IF EXISTS users;');
  }
}
