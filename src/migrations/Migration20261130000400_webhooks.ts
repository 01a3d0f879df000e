import { Migration } from '@mikro-orm/migrations';

/**
 * Additive, for signed webhooks:
 * - webhook_subscriptions: a URL, the event types it wants, its signing secret (encrypted like
 *   the Spotify tokens: it must be readable to sign);
 * - webhook_events: the outbox, one row per change, written in the transaction of the change;
 * - webhook_deliveries: one per event and matching subscription (made in the same statement as
 *   the event), the queue the workers claim from with FOR UPDATE SKIP LOCKED;
 * - webhook_delivery_attempts: the delivery log.
 * Events older than WEBHOOK_RETENTION_DAYS with nothing pending are deleted with their deliveries.
 */
export class Migration20261130000400_webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
CREATE TABLE webhook_subscriptions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    url VARCHAR(2048) NOT NULL,
    events TEXT[] NOT NULL,
    description VARCHAR(500),
    secret_encrypted TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);`);
    this.addSql('CREATE INDEX idx_webhook_subscriptions_created ON webhook_subscriptions(created_at, id);');
    this.addSql(`
CREATE TABLE webhook_events (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    type VARCHAR(64) NOT NULL,
    data JSONB NOT NULL,
    occurred_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);`);
    this.addSql('CREATE INDEX idx_webhook_events_occurred ON webhook_events(occurred_at);');
    this.addSql(`
CREATE TABLE webhook_deliveries (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    subscription_id UUID NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
    event_id UUID NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
    status VARCHAR(20) NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    retry_step INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    delivered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT webhook_deliveries_status_check CHECK (status = 'pending' OR status = 'delivered' OR status = 'failed'),
    CONSTRAINT webhook_deliveries_subscription_event_unique UNIQUE (subscription_id, event_id)
);`);
    this.addSql(
      "CREATE INDEX idx_webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';",
    );
    this.addSql('CREATE INDEX idx_webhook_deliveries_subscription ON webhook_deliveries(subscription_id, created_at, id);');
    this.addSql('CREATE INDEX idx_webhook_deliveries_event ON webhook_deliveries(event_id);');
    this.addSql(`
CREATE TABLE webhook_delivery_attempts (
    delivery_id UUID NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    status_code INTEGER,
    error VARCHAR(500),
    response_excerpt VARCHAR(500),
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP TABLE IF EXISTS webhook_delivery_attempts;');
    this.addSql('DROP TABLE IF EXISTS webhook_deliveries;');
    this.addSql('DROP TABLE IF EXISTS webhook_events;');
    this.addSql('DROP TABLE IF EXISTS webhook_subscriptions;');
  }
}
