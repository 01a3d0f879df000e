import { Migration } from '@mikro-orm/migrations';

/** Additive: access-tier capabilities learnt per Spotify client id, so no process or restart asks twice. */
export class Migration20261127000010_spotify_capabilities extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
CREATE TABLE spotify_capabilities (
    client_id VARCHAR(255) NOT NULL,
    capability VARCHAR(50) NOT NULL,
    available BOOLEAN NOT NULL,
    learned_at TIMESTAMP NOT NULL,
    checked_at TIMESTAMP NOT NULL,
    CONSTRAINT spotify_capabilities_pkey PRIMARY KEY (client_id, capability)
);`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP TABLE IF EXISTS spotify_capabilities;');
  }
}
