import { Global, Module } from '@nestjs/common';
import { WebhookEvents } from './webhook-events.service';
import { WebhooksRepository } from './webhooks.repository';

/** Global, so emitters in any module can inject WebhookEvents without importing the webhooks module. */
@Global()
@Module({
  providers: [WebhooksRepository, WebhookEvents],
  exports: [WebhooksRepository, WebhookEvents],
})
export class WebhookEventsModule {}
