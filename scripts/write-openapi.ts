/**
 * Writes openapi.json from the application's own document (the one /docs-json serves).
 * Builds the app without starting it and without a database: MikroORM is built without
 * connecting (initSync), and nothing asks it anything while the document is made.
 * `--check` exits 1 when the committed file differs instead of writing it.
 */
import { MikroORM as OrmToken } from '@mikro-orm/core';
import { MikroORM } from '@mikro-orm/postgresql';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppModule } from '../src/app.module';
import { parseEnv } from '../src/config/app-config';
import { createOrmConfig } from '../src/config/mikro-orm.config';
import { createOpenApiDocument } from '../src/openapi/openapi-document';

export const OPENAPI_FILE = join(__dirname, '..', 'openapi.json');

export const serialiseDocument = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`;

async function main(): Promise<void> {
  const config = parseEnv({
    NODE_ENV: 'development',
    // never contacted: the ORM is not connected and the api role opens no queue
    DATABASE_URL: 'postgresql://openapi-writer@127.0.0.1:1/none',
    REDIS_URL: 'redis://127.0.0.1:1',
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
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] })
    .overrideProvider(OrmToken)
    .useValue(MikroORM.initSync(createOrmConfig(config.databaseUrl)))
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ logger: false, bodyParser: false });
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
