import { Entity, Index, Opt, PrimaryKey, Property } from '@mikro-orm/core';
import type { WebhookEventType } from '../webhook-event-types';

/** The outbox: one row per change, written in the transaction of the change (WebhookEvents.record). */
@Entity({ tableName: 'webhook_events' })
@Index({ name: 'idx_webhook_events_occurred', properties: ['occurredAt'] })
export class WebhookEvent {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Property({ length: 64 })
  type!: WebhookEventType;

  @Property({ type: 'jsonb' })
  data!: Record<string, unknown>;

  @Property({ columnType: 'timestamp', defaultRaw: 'CURRENT_TIMESTAMP' })
  occurredAt: Date & Opt = new Date();
}
