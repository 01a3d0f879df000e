import { ArrayType, Entity, Index, Opt, PrimaryKey, Property } from '@mikro-orm/core';
import type { WebhookEventType } from '../webhook-event-types';

/** A caller's subscription. The secret is ciphertext (TokenCipher); it is shown once, at creation. */
@Entity({ tableName: 'webhook_subscriptions' })
@Index({ name: 'idx_webhook_subscriptions_created', properties: ['createdAt', 'id'] })
export class WebhookSubscription {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Property({ length: 2048 })
  url!: string;

  @Property({ type: ArrayType, columnType: 'text[]' })
  events!: WebhookEventType[];

  @Property({ length: 500, nullable: true })
  description?: string | null;

  @Property({ type: 'text', lazy: true })
  secretEncrypted!: string;

  @Property({ columnType: 'timestamp', defaultRaw: 'CURRENT_TIMESTAMP' })
  createdAt: Date & Opt = new Date();
}
