import { InjectRepository } from '@mikro-orm/nestjs';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { IdempotencyKeyRecord } from './idempotency-key.entity';
import { ExistingKey, IdempotencyKeyRepository, StoredAnswer } from './idempotency-key.repository';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/** A claim still in flight after this long belongs to a process that died; the key is taken over. */
export const IN_FLIGHT_LEASE_SECONDS = 5 * 60;
const CLEANUP_INTERVAL_MS = 10 * 60_000;
const CLEANUP_BATCH = 5_000;

export type ClaimOutcome = { kind: 'claimed' } | ExistingKey;

@Injectable()
export class IdempotencyService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(IdempotencyService.name);
  private cleanupTimer?: NodeJS.Timeout;

  constructor(@InjectRepository(IdempotencyKeyRecord) private readonly keys: IdempotencyKeyRepository) {}

  onModuleInit(): void {
    this.cleanupTimer = setInterval(() => {
      this.deleteExpired().catch((error: unknown) => this.logger.warn({ err: error }, 'Idempotency-Key cleanup failed'));
    }, CLEANUP_INTERVAL_MS);
    this.cleanupTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.cleanupTimer);
  }

  /** Claims the key, or says who holds it. A key freed between the two steps is claimed on the next turn. */
  async claim(apiKeyHash: string, key: string, requestHash: string): Promise<ClaimOutcome> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.keys.claim(apiKeyHash, key, requestHash, IDEMPOTENCY_TTL_SECONDS, IN_FLIGHT_LEASE_SECONDS)) {
        return { kind: 'claimed' };
      }
      const existing = await this.keys.findLive(apiKeyHash, key);
      if (existing) return existing;
    }
    return { state: 'in_flight', requestHash };
  }

  complete(apiKeyHash: string, key: string, requestHash: string, answer: StoredAnswer): Promise<void> {
    return this.keys.complete(apiKeyHash, key, requestHash, answer);
  }

  release(apiKeyHash: string, key: string, requestHash: string): Promise<void> {
    return this.keys.release(apiKeyHash, key, requestHash);
  }

  /** Deletes expired keys in batches; returns how many. */
  async deleteExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.keys.deleteExpired(CLEANUP_BATCH);
      total += deleted;
      if (deleted < CLEANUP_BATCH) return total;
    }
  }
}
