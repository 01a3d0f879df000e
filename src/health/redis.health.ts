import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type Redis from 'ioredis';
import { withTimeout } from '../common/with-timeout';
import { REDIS } from '../redis/redis.module';

@Injectable()
export class RedisHealthIndicator {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** When Redis is not required (api role) an outage is reported as degraded, not down. */
  async check(key: string, required: boolean) {
    const session = this.indicators.check(key);
    try {
      await withTimeout(this.redis.ping(), 1_000, 'timed out');
      return session.up();
    } catch (error) {
      const message = `Redis unreachable: ${(error as Error).message}`;
      return required ? session.down({ message }) : session.up({ degraded: true, message });
    }
  }
}
