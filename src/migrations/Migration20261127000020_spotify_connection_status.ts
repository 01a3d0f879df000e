import { Migration } from '@mikro-orm/migrations';

/**
 * Additive: what the seed's spotify_connections lacks for refresh failures and Spotify's
 * 6-month refresh-token limit. Rows that predate this get their creation time as the consent time
 * (the earliest it can be, so the re-authorisation date shown is never too late).
 */
export class Migration20261127000020_spotify_connection_status extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE spotify_connections
    ADD COLUMN status VARCHAR(20) NOT NULL DEFAULT 'active',
    ADD COLUMN status_reason TEXT,
    ADD COLUMN authorized_at TIMESTAMP;`);
    this.addSql('UPDATE spotify_connections SET authorized_at = COALESCE(created_at, CURRENT_TIMESTAMP);');
    this.addSql(`ALTER TABLE spotify_connections
    ALTER COLUMN authorized_at SET NOT NULL,
    ALTER COLUMN authorized_at SET DEFAULT CURRENT_TIMESTAMP,
    ADD CONSTRAINT spotify_connections_status_check CHECK (status = 'active' OR status = 'needs_reauth');`);
  }

  override async down(): Promise<void> {
    this.addSql(`ALTER TABLE spotify_connections
    DROP CONSTRAINT IF EXISTS spotify_connections_status_check,
    DROP COLUMN IF EXISTS authorized_at,
    DROP COLUMN IF EXISTS status_reason,
    DROP COLUMN IF EXISTS status;`);
  }
}
