import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { IdempotencyKeyRepository } from './idempotency-key.repository';

/**
 * One Idempotency-Key of one API key: in flight while responseStatus is null, then the
 * stored answer, replayed until expiresAt. The API key is kept only as its SHA-256.
 */
@Entity({ tableName: 'idempotency_keys', repository: () => IdempotencyKeyRepository })
@Index({ name: 'idx_idempotency_keys_expires_at', properties: ['expiresAt'] })
export class IdempotencyKeyRecord {
  @PrimaryKey({ columnType: 'char(64)' })
  apiKeyHash!: string;

  @PrimaryKey({ fieldName: 'idempotency_key', length: 255 })
  key!: string;

  /** SHA-256 of method, path and canonical body. */
  @Property({ columnType: 'char(64)' })
  requestHash!: string;

  @Property({ columnType: 'smallint', nullable: true })
  responseStatus?: number | null;

  @Property({ length: 255, nullable: true })
  responseContentType?: string | null;

  @Property({ columnType: 'text', nullable: true })
  responseBody?: string | null;

  /** When the current request claimed the key; an in-flight claim older than the lease is abandoned. */
  @Property({ columnType: 'timestamp' })
  lockedAt!: Date;

  @Property({ columnType: 'timestamp' })
  expiresAt!: Date;
}
