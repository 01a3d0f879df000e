import { WebhookDeliveryAttempt } from './webhook-delivery-attempt.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEvent } from './webhook-event.entity';
import { WebhookSubscription } from './webhook-subscription.entity';

export const WEBHOOK_ENTITIES = [WebhookSubscription, WebhookEvent, WebhookDelivery, WebhookDeliveryAttempt];
