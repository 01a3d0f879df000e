import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Page } from '../common/cursor';
import { InvalidInputException } from '../common/validation';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TokenCipher } from '../crypto/token-cipher.service';
import { checkWebhookUrl } from './delivery/webhook-url';
import type { CreateWebhookDto, ListDeliveriesQuery, ListWebhooksQuery } from './webhooks.dto';
import { AttemptRow, DeliveryRow, SubscriptionRow, webhookSecretBinding, WebhooksRepository } from './webhooks.repository';

/** Subscriptions and their delivery log; delivering is the worker's (webhook-delivery.worker.ts). */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly repository: WebhooksRepository,
    private readonly cipher: TokenCipher,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'webhooks'>,
  ) {}

  /** The secret is returned here and never again; only its ciphertext is stored. */
  async create(dto: CreateWebhookDto): Promise<{ subscription: SubscriptionRow; secret: string }> {
    const check = checkWebhookUrl(dto.url, this.config.webhooks.allowedHosts);
    if (!check.ok) throw new InvalidInputException([{ field: 'url', reasons: [`url ${check.reason}`] }]);
    // Standard Webhooks: whsec_ + base64 of 24 to 64 random bytes
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const id = randomUUID();
    const subscription = await this.repository.insertSubscription({
      id,
      url: check.url.toString(),
      events: [...new Set(dto.events)].sort(),
      description: dto.description ?? null,
      secretEncrypted: this.cipher.encrypt(secret, webhookSecretBinding(id)),
    });
    return { subscription, secret };
  }

  list(query: ListWebhooksQuery): Promise<Page<SubscriptionRow>> {
    return this.repository.listSubscriptions(query);
  }

  async get(id: string): Promise<SubscriptionRow> {
    const subscription = await this.repository.findSubscription(id);
    if (!subscription) throw new NotFoundException(`Webhook ${id} not found`);
    return subscription;
  }

  async delete(id: string): Promise<void> {
    if (!(await this.repository.deleteSubscription(id))) throw new NotFoundException(`Webhook ${id} not found`);
  }

  async deliveries(id: string, query: ListDeliveriesQuery): Promise<Page<DeliveryRow & { log: AttemptRow[] }>> {
    await this.get(id);
    return this.repository.listDeliveries(id, query);
  }

  /** Sends a delivered or failed delivery again (same webhook-id); a pending one is already on its way. */
  async redeliver(id: string, deliveryId: string): Promise<DeliveryRow & { log: AttemptRow[] }> {
    if (!(await this.repository.reschedule(id, deliveryId))) {
      const delivery = await this.repository.findDelivery(id, deliveryId);
      if (!delivery) throw new NotFoundException(`Delivery ${deliveryId} of webhook ${id} not found`);
      throw new ConflictException(`Delivery ${deliveryId} is still pending; its next attempt is at ${delivery.next_attempt_at}`);
    }
    return (await this.repository.findDelivery(id, deliveryId))!;
  }
}
