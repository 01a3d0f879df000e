import { Migration } from '@mikro-orm/migrations';

/** Additive: Idempotency-Key records (src/idempotency), one per API key and key, kept 24 h. */
export class Migration20261130000300_idempotency_keys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
CREATE TABLE idempotency_keys (
    api_key_hash CHAR(64) NOT NULL,
    idempotency_key VARCHAR(255) NOT NULL,
    request_hash CHAR(64) NOT NULL,
    response_status SMALLINT NULL,
    response_content_type VARCHAR(255) NULL,
    response_body TEXT NULL,
    locked_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (api_key_hash, idempotency_key)
);`);
    this.addSql('CREATE INDEX idx_idempotency_keys_expires_at ON idempotency_keys (expires_at);');
  }

  override async down(): Promise<void> {
    this.addSql('DROP TABLE IF EXISTS idempotency_keys;');
  }
}
