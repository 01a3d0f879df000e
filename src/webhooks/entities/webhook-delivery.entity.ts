import { Check, Entity, Index, ManyToOne, Opt, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import type { DeliveryStatus } from '../webhook-event-types';
import { WebhookEvent } from './webhook-event.entity';
import { WebhookSubscription } from './webhook-subscription.entity';

/**
 * One event for one subscription; its id is the `webhook-id` of every attempt. Workers claim due
 * rows with FOR UPDATE SKIP LOCKED and push next_attempt_at past the request timeout (a lease).
 */
@Entity({ tableName: 'webhook_deliveries' })
@Unique({ name: 'webhook_deliveries_subscription_event_unique', properties: ['subscription', 'event'] })
@Index({
  name: 'idx_webhook_deliveries_due',
  expression: `create index "idx_webhook_deliveries_due" on "webhook_deliveries" ("next_attempt_at") where status = 'pending'`,
})
@Index({ name: 'idx_webhook_deliveries_subscription', properties: ['subscription', 'createdAt', 'id'] })
@Index({ name: 'idx_webhook_deliveries_event', properties: ['event'] })
export class WebhookDelivery {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @ManyToOne(() => WebhookSubscription, {
    fieldName: 'subscription_id',
    deleteRule: 'cascade',
    updateRule: 'no action',
    foreignKeyName: 'webhook_deliveries_subscription_id_fkey',
  })
  subscription!: WebhookSubscription;

  @ManyToOne(() => WebhookEvent, {
    fieldName: 'event_id',
    deleteRule: 'cascade',
    updateRule: 'no action',
    foreignKeyName: 'webhook_deliveries_event_id_fkey',
  })
  event!: WebhookEvent;

  @Property({ length: 20, default: 'pending' })
  @Check({ name: 'webhook_deliveries_status_check', expression: "status = 'pending' OR status = 'delivered' OR status = 'failed'" })
  status: DeliveryStatus & Opt = 'pending';

  /** Every attempt ever made (the log's length). */
  @Property({ type: 'integer', default: 0 })
  attempts: number & Opt = 0;

  /** Failed attempts since the delivery was (re)scheduled; picks the next backoff step. */
  @Property({ type: 'integer', default: 0 })
  retryStep: number & Opt = 0;

  @Property({ columnType: 'timestamp', nullable: true })
  nextAttemptAt?: Date | null;

  @Property({ columnType: 'timestamp', nullable: true })
  deliveredAt?: Date | null;

  @Property({ columnType: 'timestamp', defaultRaw: 'CURRENT_TIMESTAMP' })
  createdAt: Date & Opt = new Date();
}
