/** Every event a subscription can ask for (SERVICE.md, "Callers: contract, idempotency, events"). */
export const WEBHOOK_EVENT_TYPES = [
  'sync_job.completed',
  'sync_job.failed',
  'spotify_connection.connected',
  'spotify_connection.needs_reauth',
  'song.spotify_gone',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return typeof value === 'string' && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
