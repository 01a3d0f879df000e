import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Test } from '@nestjs/testing';
import type Redis from 'ioredis';
import { RunningSandbox } from '../../sandbox/sandbox-server';
import { AppConfig, parseEnv } from '../../src/config/app-config';
import { AppConfigModule } from '../../src/config/config.module';
import { createOrmConfig } from '../../src/config/mikro-orm.config';
import { REDIS, RedisModule } from '../../src/redis/redis.module';
import { SpotifyRequestBudget } from '../../src/spotify/budget/spotify-request-budget';
import { SpotifyAccountsClient } from '../../src/spotify/spotify-accounts.client';
import { SpotifyCapabilitiesService } from '../../src/spotify/spotify-capabilities.service';
import { SpotifyClient } from '../../src/spotify/spotify.client';
import { SpotifyModule } from '../../src/spotify/spotify.module';
import { TestDatabase } from './database';
import { sandboxEnv } from './sandbox-env';
import { testEnv } from './test-app';

export interface SpotifyProcess {
  config: AppConfig;
  client: SpotifyClient;
  accounts: SpotifyAccountsClient;
  capabilities: SpotifyCapabilitiesService;
  budget: SpotifyRequestBudget;
  redis: Redis;
  close(): Promise<void>;
}

/**
 * One service process as far as Spotify is concerned: its own Nest context, Redis connection and
 * in-memory caches, sharing the database (and, when the prefix is passed, the Redis keys) with others.
 */
export async function startSpotifyProcess(
  db: TestDatabase,
  sandbox: RunningSandbox,
  env: Record<string, string | undefined> = {},
): Promise<SpotifyProcess> {
  const config = parseEnv(testEnv({ DATABASE_URL: db.url, ...sandboxEnv(sandbox, env) }));
  const moduleRef = await Test.createTestingModule({
    imports: [AppConfigModule.forRoot(config), MikroOrmModule.forRoot(createOrmConfig(db.url)), RedisModule, SpotifyModule],
  }).compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  return {
    config,
    client: moduleRef.get(SpotifyClient),
    accounts: moduleRef.get(SpotifyAccountsClient),
    capabilities: moduleRef.get(SpotifyCapabilitiesService),
    budget: moduleRef.get(SpotifyRequestBudget),
    redis: moduleRef.get(REDIS),
    close: () => moduleRef.close(),
  };
}
