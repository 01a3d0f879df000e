import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/app-config';

export const REDIS = Symbol('REDIS');

/**
 * The service's own Redis connection (pauses, locks, caches; Bull keeps its own).
 * Every key sits under REDIS_KEY_PREFIX so deployments and test files sharing a Redis never collide.
 * Commands fail fast while Redis is down instead of queueing in memory.
 */
export function createRedisClient(config: AppConfig): Redis {
  return new Redis(config.redisUrl, {
    keyPrefix: `${config.redisKeyPrefix}:`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        const client = createRedisClient(config);
        client.on('error', () => undefined); // reported by health checks; reconnects on its own
        return client;
      },
    },
    RedisCloser,
  ],
  exports: [REDIS],
})
export class RedisModule {}
