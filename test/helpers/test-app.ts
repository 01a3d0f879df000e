import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { AppConfig, parseEnv } from '../../src/config/app-config';
import { MetricsServer } from '../../src/metrics/metrics-server';
import { setupApp } from '../../src/setup-app';
import { createMigratedDatabase, TestDatabase } from './database';

export const API_KEY = 'test-api-key-0123456789';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A valid environment for tests; each call gets its own Redis key prefix. */
export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: `test-${randomBytes(4).toString('hex')}`,
    API_KEYS: `${API_KEY},second-key-abcdefghijkl`,
    TOKEN_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    SPOTIFY_CLIENT_ID: 'sandbox-client-id',
    SPOTIFY_CLIENT_SECRET: 'sandbox-client-secret',
    SPOTIFY_REDIRECT_URI: 'http://127.0.0.1:3000/auth/spotify/callback',
    LOG_LEVEL: 'silent',
    LOG_FORMAT: 'json',
    SYNC_TRACK_CRON: 'off',
    SYNC_POPULARITY_CRON: 'off',
    // tests run in parallel: each app's metrics listener takes a free port
    METRICS_PORT: '0',
    ...overrides,
  };
}

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  db: TestDatabase;
  /** supertest with the API key set */
  api: () => ReturnType<typeof authorised>;
  /** supertest without a key */
  http: () => ReturnType<typeof request>;
  /** supertest on the metrics listener (METRICS_PORT) */
  metricsHttp: () => ReturnType<typeof request>;
  close(): Promise<void>;
}

function authorised(app: NestExpressApplication) {
  const agent = request(app.getHttpServer());
  const withKey =
    (method: 'get' | 'post' | 'put' | 'patch' | 'delete') =>
    (url: string) =>
      agent[method](url).set('Authorization', `Bearer ${API_KEY}`);
  return {
    get: withKey('get'),
    post: withKey('post'),
    put: withKey('put'),
    patch: withKey('patch'),
    delete: withKey('delete'),
  };
}

/** The whole application on its own migrated database, as main.ts builds it. */
export async function createTestApp(
  label: string,
  env: Record<string, string | undefined> = {},
  db?: TestDatabase,
): Promise<TestApp> {
  const database = db ?? (await createMigratedDatabase(label));
  const config = parseEnv(testEnv({ DATABASE_URL: database.url, ...env }));
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: false });
  setupApp(app);
  await app.init();
  return {
    app,
    config,
    db: database,
    api: () => authorised(app),
    http: () => request(app.getHttpServer()),
    metricsHttp: () => request(app.get(MetricsServer).server),
    close: async () => {
      await app.close();
      if (!db) await database.drop();
    },
  };
}
