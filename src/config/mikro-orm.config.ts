import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { join } from 'node:path';
import { SavedTrack } from '../jobs/records/saved-track.entity';
import { SpotifySyncJob } from '../jobs/records/spotify-sync-job.entity';
import { SyncJobFailure } from '../jobs/records/sync-job-failure.entity';
import { IdempotencyKeyRecord } from '../idempotency/idempotency-key.entity';
import { Song } from '../songs/song.entity';
import { SpotifyRequestBudgetRecord } from '../spotify/budget/spotify-request-budget.entity';
import { SpotifyCapabilityRecord } from '../spotify/spotify-capability.entity';
import { SpotifyConnection } from '../connections/spotify-connection.entity';
import { User } from '../users/user.entity';
import { WEBHOOK_ENTITIES } from '../webhooks/entities/webhook-entities';

export const ENTITIES = [
  User,
  SpotifyConnection,
  Song,
  SpotifySyncJob,
  SyncJobFailure,
  SavedTrack,
  SpotifyCapabilityRecord,
  SpotifyRequestBudgetRecord,
  IdempotencyKeyRecord,
  ...WEBHOOK_ENTITIES,
];

/** One MikroORM configuration for the app, the CLI, the tests and the benchmarks. */
export function createOrmConfig(databaseUrl: string, overrides: Partial<Options> = {}): Options {
  const migrationsPath = join(__dirname, '..', 'migrations');
  return defineConfig({
    clientUrl: databaseUrl,
    entities: ENTITIES,
    extensions: [Migrator],
    // Timestamps are UTC in the database and in the app: CURRENT_TIMESTAMP defaults and
    // values written by MikroORM must agree.
    forceUtcTimezone: true,
    pool: {
      min: 0,
      max: 10,
      afterCreate: (connection: { query: (sql: string, cb: (err?: Error) => void) => void }, done: (err?: Error, c?: unknown) => void) =>
        connection.query("SET TIME ZONE 'UTC'", (err) => done(err, connection)),
    },
    migrations: {
      path: migrationsPath,
      pathTs: migrationsPath,
      glob: '!(*.d).{js,ts}',
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    allowGlobalContext: false,
    debug: false,
    ...overrides,
  });
}

export default createOrmConfig(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/spotify_sync');
