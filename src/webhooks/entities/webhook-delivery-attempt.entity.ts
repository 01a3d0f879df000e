import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { WebhookDelivery } from './webhook-delivery.entity';

/** The delivery log: one row per request made (or refused before it was made). */
@Entity({ tableName: 'webhook_delivery_attempts' })
export class WebhookDeliveryAttempt {
  @ManyToOne(() => WebhookDelivery, {
    primary: true,
    fieldName: 'delivery_id',
    deleteRule: 'cascade',
    updateRule: 'no action',
    foreignKeyName: 'webhook_delivery_attempts_delivery_id_fkey',
  })
  delivery!: WebhookDelivery;

  @PrimaryKey({ type: 'integer', autoincrement: false })
  attempt!: number;

  @Property({ columnType: 'timestamp' })
  attemptedAt!: Date;

  @Property({ type: 'integer', nullable: true })
  statusCode?: number | null;

  @Property({ length: 500, nullable: true })
  error?: string | null;

  @Property({ length: 500, nullable: true })
  responseExcerpt?: string | null;

  @Property({ type: 'integer' })
  durationMs!: number;
}
