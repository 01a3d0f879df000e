import { Migration } from '@mikro-orm/migrations';

/** Seed schema, "Migration 2: Create Integration Tables", verbatim. */
export class Migration20261127000003_create_integration_tables extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
CREATE TABLE spotify_connections (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    spotify_user_id VARCHAR(255) NOT NULL,
    access_token TEXT NOT NULL,
    refresh_token TEXT NOT NULL,
    token_expires_at TIMESTAMP NOT NULL,
    scope TEXT NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    UNIQUE(user_id),
    UNIQUE(spotify_user_id)
);`);
    this.addSql(`
CREATE TABLE spotify_sync_jobs (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    job_type VARCHAR(50) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'pending',
    target_id VARCHAR(255),
    parameters JSONB,
    started_at TIMESTAMP,
    completed_at TIMESTAMP,
    error_message TEXT,
    retry_count INTEGER DEFAULT 0,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);`);
    this.addSql('CREATE INDEX idx_spotify_jobs_status ON spotify_sync_jobs(status, created_at);');
    this.addSql('CREATE INDEX idx_spotify_jobs_type ON spotify_sync_jobs(job_type, status);');
  }

  override async down(): Promise<void> {
    this.addSql('DROP TABLE IF EXISTS spotify_sync_jobs;');
    this.addSql('DROP TABLE IF EXISTS spotify_connections;');
  }
}
