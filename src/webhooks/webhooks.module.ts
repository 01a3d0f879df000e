import { DynamicModule, Module } from '@nestjs/common';
import type { AppRole } from '../config/app-config';
import { CryptoModule } from '../crypto/crypto.module';
import { WebhookDeliveryWorker } from './delivery/webhook-delivery.worker';
import { WebhookEventsModule } from './webhook-events.module';
import { WebhookSender } from './delivery/webhook-sender';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** Webhook subscriptions for every role; delivery for worker and all (never api). */
@Module({})
export class WebhooksModule {
  static forRoot(role: AppRole): DynamicModule {
    return {
      module: WebhooksModule,
      imports: [CryptoModule, WebhookEventsModule],
      controllers: [WebhooksController],
      providers: [WebhooksService, ...(role !== 'api' ? [WebhookSender, WebhookDeliveryWorker] : [])],
      exports: [WebhookEventsModule],
    };
  }
}
