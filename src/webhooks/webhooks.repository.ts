import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { decodeCursor, fingerprint, keysetPage, Page } from '../common/cursor';
import type { DeliveryStatus, WebhookEventType } from './webhook-event-types';
import type { TokenBinding } from '../crypto/token-cipher.service';

/** The channel a committed event (or a redelivery) is announced on; NOTIFY is transactional. */
export const WAKE_CHANNEL = 'webhook_deliveries';

/** ISO-8601 text of a UTC `timestamp` column, so no driver time-zone guess is involved. */
const iso = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const NOW = "(now() AT TIME ZONE 'UTC')";
/** A PostgreSQL array literal of plain tokens (event types, uuids): the driver binds arrays as lists. */
const pgArray = (items: readonly string[]) => `{${items.join(',')}}`;

export interface SubscriptionRow {
  id: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  created_at: string;
}

export interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: WebhookEventType;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
}

export interface AttemptRow {
  delivery_id: string;
  attempt: number;
  attempted_at: string;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
  duration_ms: number;
}

/** A subscription's signing secret is bound to its row: copied to another subscription it does not decrypt. */
export function webhookSecretBinding(subscriptionId: string): TokenBinding {
  return { table: 'webhook_subscriptions', column: 'secret_encrypted', rowKey: subscriptionId };
}

/** A delivery a worker holds until lease end: everything needed to send one attempt. */
export interface ClaimedDelivery {
  id: string;
  /** this attempt's number; the fence for writing its outcome */
  attempt: number;
  retry_step: number;
  url: string;
  subscription_id: string;
  secret_encrypted: string;
  event_type: WebhookEventType;
  data: Record<string, unknown>;
  occurred_at: string;
}

export type AttemptOutcome =
  | { status: 'delivered' }
  | { status: 'pending'; retryStep: number; nextAttemptInMs: number }
  | { status: 'failed'; retryStep: number };

export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  attemptedAt: Date;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
  durationMs: number;
  outcome: AttemptOutcome;
}

/** Every statement on the webhook tables. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * The outbox write, on the caller's EntityManager (inside its transaction when it has one):
   * the event, one delivery per subscription that wants it, and a NOTIFY that PostgreSQL sends
   * only if the transaction commits.
   */
  async recordEvent(em: EntityManager, type: WebhookEventType, data: object): Promise<{ eventId: string; deliveries: number }> {
    const rows = await em.getConnection().execute<{ id: string; deliveries: string }[]>(
      `WITH ev AS (
         INSERT INTO webhook_events (type, data, occurred_at) VALUES (?, ?::jsonb, ${NOW}) RETURNING id, occurred_at
       ), d AS (
         INSERT INTO webhook_deliveries (subscription_id, event_id, next_attempt_at)
         SELECT s.id, ev.id, ev.occurred_at FROM webhook_subscriptions s, ev WHERE ? = ANY(s.events)
         RETURNING id
       ), n AS (SELECT count(*) AS deliveries FROM d)
       SELECT ev.id, n.deliveries, CASE WHEN n.deliveries > 0 THEN pg_notify('${WAKE_CHANNEL}', '') END AS notified
         FROM ev, n`,
      [type, JSON.stringify(data), type],
      'all',
      em.getTransactionContext(),
    );
    return { eventId: rows[0].id, deliveries: Number(rows[0].deliveries) };
  }

  async insertSubscription(values: {
    id: string;
    url: string;
    events: WebhookEventType[];
    description: string | null;
    secretEncrypted: string;
  }): Promise<SubscriptionRow> {
    const rows = await this.execute<SubscriptionRow[]>(
      `INSERT INTO webhook_subscriptions (id, url, events, description, secret_encrypted) VALUES (?, ?, ?::text[], ?, ?)
       RETURNING id, url, events, description, ${iso('created_at')} AS created_at`,
      [values.id, values.url, pgArray(values.events), values.description, values.secretEncrypted],
    );
    return rows[0];
  }

  async findSubscription(id: string): Promise<SubscriptionRow | null> {
    const rows = await this.execute<SubscriptionRow[]>(
      `SELECT id, url, events, description, ${iso('created_at')} AS created_at FROM webhook_subscriptions WHERE id = ?`,
      [id],
    );
    return rows[0] ?? null;
  }

  async listSubscriptions(query: { limit?: number; cursor?: string }): Promise<Page<SubscriptionRow>> {
    const limit = query.limit ?? 50;
    const params: unknown[] = [];
    let where = '';
    if (query.cursor) {
      const [createdAt, id] = decodeCursor(query.cursor, fingerprint({ ...query }));
      where = 'WHERE (created_at, id) < (?::timestamp, ?::uuid)';
      params.push(createdAt, id);
    }
    const rows = await this.execute<Record<string, unknown>[]>(
      `SELECT id, url, events, description, ${iso('created_at')} AS created_at, created_at::text AS cursor_key
         FROM webhook_subscriptions ${where} ORDER BY created_at DESC, id DESC LIMIT ?`,
      [...params, limit + 1],
    );
    return keysetPage(rows, { ...query }, (row) => row as unknown as SubscriptionRow);
  }

  /** Its pending deliveries go with it (ON DELETE CASCADE): nothing more is sent. */
  async deleteSubscription(id: string): Promise<boolean> {
    const rows = await this.execute<unknown[]>('DELETE FROM webhook_subscriptions WHERE id = ? RETURNING id', [id]);
    return rows.length > 0;
  }

  async listDeliveries(
    subscriptionId: string,
    query: { status?: DeliveryStatus; limit?: number; cursor?: string },
  ): Promise<Page<DeliveryRow & { log: AttemptRow[] }>> {
    const limit = query.limit ?? 50;
    const params: unknown[] = [subscriptionId];
    let where = 'WHERE d.subscription_id = ?';
    if (query.status) {
      where += ' AND d.status = ?';
      params.push(query.status);
    }
    if (query.cursor) {
      const [createdAt, id] = decodeCursor(query.cursor, fingerprint({ ...query, subscriptionId }));
      where += ' AND (d.created_at, d.id) < (?::timestamp, ?::uuid)';
      params.push(createdAt, id);
    }
    const rows = await this.execute<Record<string, unknown>[]>(
      `SELECT d.id, d.event_id, e.type AS event_type, d.status, d.attempts,
              ${iso('d.next_attempt_at')} AS next_attempt_at, ${iso('d.delivered_at')} AS delivered_at,
              ${iso('d.created_at')} AS created_at, d.created_at::text AS cursor_key
         FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
         ${where} ORDER BY d.created_at DESC, d.id DESC LIMIT ?`,
      [...params, limit + 1],
    );
    const page = keysetPage(rows, { ...query, subscriptionId }, (row) => row as unknown as DeliveryRow);
    const log = await this.attemptsOf(page.items.map((d) => d.id));
    return { items: page.items.map((d) => ({ ...d, log: log.get(d.id) ?? [] })), nextCursor: page.nextCursor };
  }

  async findDelivery(subscriptionId: string, deliveryId: string): Promise<(DeliveryRow & { log: AttemptRow[] }) | null> {
    const rows = await this.execute<DeliveryRow[]>(
      `SELECT d.id, d.event_id, e.type AS event_type, d.status, d.attempts,
              ${iso('d.next_attempt_at')} AS next_attempt_at, ${iso('d.delivered_at')} AS delivered_at, ${iso('d.created_at')} AS created_at
         FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
        WHERE d.subscription_id = ? AND d.id = ?`,
      [subscriptionId, deliveryId],
    );
    if (!rows[0]) return null;
    return { ...rows[0], log: (await this.attemptsOf([deliveryId])).get(deliveryId) ?? [] };
  }

  /** A finished delivery (delivered or failed) goes back to the queue, due now, with a fresh backoff. */
  async reschedule(subscriptionId: string, deliveryId: string): Promise<boolean> {
    const rows = await this.execute<unknown[]>(
      `WITH d AS (
         UPDATE webhook_deliveries SET status = 'pending', retry_step = 0, next_attempt_at = ${NOW}, delivered_at = NULL
          WHERE subscription_id = ? AND id = ? AND status <> 'pending' RETURNING id
       )
       SELECT d.id, pg_notify('${WAKE_CHANNEL}', '') FROM d`,
      [subscriptionId, deliveryId],
    );
    return rows.length > 0;
  }

  /**
   * Claims due deliveries: rows another worker is claiming are skipped (SKIP LOCKED), and each
   * claimed row's next attempt moves past the request timeout, so no other worker sends this
   * attempt unless this one dies without recording it (then it is sent again: at least once).
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return this.execute<ClaimedDelivery[]>(
      `WITH due AS (
         SELECT id FROM webhook_deliveries
          WHERE status = 'pending' AND next_attempt_at <= ${NOW}
          ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE webhook_deliveries d
            SET attempts = d.attempts + 1, next_attempt_at = ${NOW} + (? * interval '1 millisecond')
           FROM due WHERE d.id = due.id
         RETURNING d.id, d.attempts AS attempt, d.retry_step, d.subscription_id, d.event_id
       )
       SELECT c.id, c.attempt, c.retry_step, s.url, c.subscription_id, s.secret_encrypted, e.type AS event_type, e.data,
              ${iso('e.occurred_at')} AS occurred_at
         FROM claimed c
         JOIN webhook_subscriptions s ON s.id = c.subscription_id
         JOIN webhook_events e ON e.id = c.event_id`,
      [limit, leaseMs],
    );
  }

  /** The attempt's log row and the delivery's next state, only if this attempt still holds the delivery. */
  async recordAttempt(record: AttemptRecord): Promise<boolean> {
    const { outcome } = record;
    const next =
      outcome.status === 'delivered'
        ? `status = 'delivered', delivered_at = ${NOW}, next_attempt_at = NULL`
        : outcome.status === 'failed'
          ? `status = 'failed', retry_step = ${Number(outcome.retryStep)}, next_attempt_at = NULL`
          : `retry_step = ${Number(outcome.retryStep)}, next_attempt_at = ${NOW} + (${Number(outcome.nextAttemptInMs)} * interval '1 millisecond')`;
    const rows = await this.execute<unknown[]>(
      `WITH d AS (
         UPDATE webhook_deliveries SET ${next} WHERE id = ? AND attempts = ? AND status = 'pending' RETURNING id
       )
       INSERT INTO webhook_delivery_attempts (delivery_id, attempt, attempted_at, status_code, error, response_excerpt, duration_ms)
       SELECT d.id, ?, ?::timestamptz AT TIME ZONE 'UTC', ?, ?, ?, ? FROM d
       RETURNING delivery_id`,
      [
        record.deliveryId,
        record.attempt,
        record.attempt,
        record.attemptedAt.toISOString(),
        record.statusCode,
        record.error?.slice(0, 500) ?? null,
        record.responseExcerpt?.slice(0, 500) ?? null,
        record.durationMs,
      ],
    );
    return rows.length > 0;
  }

  /** A stopping worker hands back an attempt it had to abort: due again now, not counted. */
  async release(deliveryId: string, attempt: number): Promise<void> {
    await this.execute(
      `UPDATE webhook_deliveries SET attempts = attempts - 1, next_attempt_at = ${NOW}
        WHERE id = ? AND attempts = ? AND status = 'pending'`,
      [deliveryId, attempt],
    );
  }

  /** Deletes up to `limit` old events with no pending delivery (their deliveries and log go too). */
  async purgeBefore(days: number, limit: number): Promise<number> {
    const rows = await this.execute<unknown[]>(
      `DELETE FROM webhook_events WHERE id IN (
         SELECT e.id FROM webhook_events e
          WHERE e.occurred_at < ${NOW} - (? * interval '1 day')
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
          LIMIT ?)
       RETURNING id`,
      [days, limit],
    );
    return rows.length;
  }

  private async attemptsOf(deliveryIds: string[]): Promise<Map<string, AttemptRow[]>> {
    const byDelivery = new Map<string, AttemptRow[]>();
    if (!deliveryIds.length) return byDelivery;
    const rows = await this.execute<AttemptRow[]>(
      `SELECT delivery_id, attempt, ${iso('attempted_at')} AS attempted_at, status_code, error, response_excerpt, duration_ms
         FROM webhook_delivery_attempts WHERE delivery_id = ANY(?::uuid[]) ORDER BY delivery_id, attempt`,
      [pgArray(deliveryIds)],
    );
    for (const row of rows) byDelivery.set(row.delivery_id, [...(byDelivery.get(row.delivery_id) ?? []), row]);
    return byDelivery;
  }

  private execute<T>(sql: string, params: unknown[] = []): Promise<T> {
    return this.em.getConnection().execute(sql, params) as Promise<T>;
  }
}
