/**
 * Writes openapi.json from the application's own document (the one /docs-json serves).
 * Builds the app without starting it: no migrations and nothing written, but MikroORM needs a
 * PostgreSQL it can connect to (DATABASE_URL, default the local server's `postgres` database).
 * `--check` exits 1 when the committed file differs instead of writing it.
 */
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppModule } from '../src/app.module';
import { parseEnv } from '../src/config/app-config';
import { createOpenApiDocument } from '../src/openapi/openapi-document';

export const OPENAPI_FILE = join(__dirname, '..', 'openapi.json');

export const serialiseDocument = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`;

async function main(): Promise<void> {
  const config = parseEnv({
    NODE_ENV: 'development',
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
    REDIS_URL: 'redis://127.0.0.1:6379',
    APP_ROLE: 'api',
    API_KEYS: 'openapi-writer-placeholder-key',
    TOKEN_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
    SPOTIFY_CLIENT_ID: 'openapi-writer',
    SPOTIFY_CLIENT_SECRET: 'openapi-writer',
    SPOTIFY_REDIRECT_URI: 'http://127.0.0.1:3000/auth/spotify/callback',
    LOG_LEVEL: 'silent',
    SYNC_TRACK_CRON: 'off',
    SYNC_POPULARITY_CRON: 'off',
  });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { logger: false, bodyParser: false });
  const text = serialiseDocument(createOpenApiDocument(app));
  await app.close();
  if (process.argv.includes('--check')) {
    if (readFileSync(OPENAPI_FILE, 'utf8') !== text) {
      console.error('openapi.json is out of date: run `npm run openapi:write` and commit it');
      process.exit(1);
    }
    console.log('openapi.json is current');
    return;
  }
  writeFileSync(OPENAPI_FILE, text);
  console.log(`wrote ${OPENAPI_FILE}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
