import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { isWebhookEventType, WebhookEventType } from './webhook-event-types';
import { WebhooksRepository } from './webhooks.repository';

/**
 * What emitters call: `await webhookEvents.record(em, 'sync_job.completed', SyncJobResponse.from(job))`
 * with the EntityManager of the transaction that makes the change, so the event exists exactly
 * when the change does (see src/webhooks/README.md). Workers deliver it after the commit.
 */
@Injectable()
export class WebhookEvents {
  constructor(private readonly repository: WebhooksRepository) {}

  /** `data` is the job, the connection or the song as the API shows them. Returns the event id. */
  async record(em: EntityManager, type: WebhookEventType, data: object): Promise<string> {
    if (!isWebhookEventType(type)) throw new Error(`Unknown webhook event type "${String(type)}"`);
    const { eventId } = await this.repository.recordEvent(em, type, data);
    return eventId;
  }
}
