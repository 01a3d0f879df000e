import { EntityRepository } from '@mikro-orm/postgresql';
import type { IdempotencyKeyRecord } from './idempotency-key.entity';

export interface StoredAnswer {
  status: number;
  contentType: string | null;
  body: string | null;
}

export type ExistingKey =
  | { state: 'in_flight'; requestHash: string }
  | { state: 'completed'; requestHash: string; answer: StoredAnswer };

interface Row {
  request_hash: string;
  response_status: number | null;
  response_content_type: string | null;
  response_body: string | null;
}

/**
 * Every statement on idempotency_keys. They run on the connection outside any request
 * transaction on purpose: a claim must be visible to a concurrent retry at once, and must
 * survive the request's own rollback.
 */
export class IdempotencyKeyRepository extends EntityRepository<IdempotencyKeyRecord> {
  private execute<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.getEntityManager().getConnection().execute<T[]>(sql, params);
  }

  /**
   * Takes the key for this request: a new key, an expired one, or one whose in-flight
   * claim is older than the lease (its process died). False when someone else holds it.
   */
  async claim(apiKeyHash: string, key: string, requestHash: string, ttlSeconds: number, leaseSeconds: number): Promise<boolean> {
    const rows = await this.execute<{ claimed: boolean }>(
      `INSERT INTO idempotency_keys (api_key_hash, idempotency_key, request_hash, locked_at, expires_at)
       VALUES (?, ?, ?, now(), now() + make_interval(secs => ?))
       ON CONFLICT (api_key_hash, idempotency_key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, locked_at = EXCLUDED.locked_at, expires_at = EXCLUDED.expires_at,
             response_status = NULL, response_content_type = NULL, response_body = NULL
         WHERE idempotency_keys.expires_at <= now()
            OR (idempotency_keys.response_status IS NULL AND idempotency_keys.locked_at < now() - make_interval(secs => ?))
       RETURNING true AS claimed`,
      [apiKeyHash, key, requestHash, ttlSeconds, leaseSeconds],
    );
    return rows.length === 1;
  }

  async findLive(apiKeyHash: string, key: string): Promise<ExistingKey | null> {
    const [row] = await this.execute<Row>(
      `SELECT request_hash, response_status, response_content_type, response_body FROM idempotency_keys
        WHERE api_key_hash = ? AND idempotency_key = ? AND expires_at > now()`,
      [apiKeyHash, key],
    );
    if (!row) return null;
    if (row.response_status === null) return { state: 'in_flight', requestHash: row.request_hash };
    return {
      state: 'completed',
      requestHash: row.request_hash,
      answer: { status: row.response_status, contentType: row.response_content_type, body: row.response_body },
    };
  }

  async complete(apiKeyHash: string, key: string, requestHash: string, answer: StoredAnswer): Promise<void> {
    await this.execute(
      `UPDATE idempotency_keys SET response_status = ?, response_content_type = ?, response_body = ?
        WHERE api_key_hash = ? AND idempotency_key = ? AND request_hash = ? AND response_status IS NULL`,
      [answer.status, answer.contentType, answer.body, apiKeyHash, key, requestHash],
    );
  }

  /** Frees an in-flight key (a 5xx, a 409, a client gone): the next request with it runs. */
  async release(apiKeyHash: string, key: string, requestHash: string): Promise<void> {
    await this.execute(
      `DELETE FROM idempotency_keys WHERE api_key_hash = ? AND idempotency_key = ? AND request_hash = ? AND response_status IS NULL`,
      [apiKeyHash, key, requestHash],
    );
  }

  async deleteExpired(limit: number): Promise<number> {
    const rows = await this.execute<{ n: string }>(
      `WITH gone AS (
         DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT ?)
         RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [limit],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
