import { MikroORM } from '@mikro-orm/postgresql';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { createOrmConfig } from '../src/config/mikro-orm.config';
import { Migration20261127000001_base_users_songs } from '../src/migrations/Migration20261127000001_base_users_songs';
import { createTestDatabase, TestDatabase } from './helpers/database';

const SPEC = join(__dirname, '..', '..', 'shared', 'spec', 'database-schema.md');
const FIXTURE = join(__dirname, 'fixtures', 'seed-migrations.sql');
const SEED_TABLES = ['users', 'songs', 'spotify_connections', 'spotify_sync_jobs'];

/** The SQL blocks under "## Database Migrations" in the seed document. */
function seedMigrationSql(markdown: string): string {
  const section = markdown.slice(markdown.indexOf('## Database Migrations'), markdown.indexOf('## Performance'));
  return [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1].trim()).join('\n\n') + '\n';
}

async function describeSchema(url: string) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query(
      `SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision, numeric_scale,
              is_nullable, column_default
         FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = ANY($1)
        ORDER BY table_name, column_name`,
      [SEED_TABLES],
    );
    const constraints = await client.query(
      `SELECT rel.relname AS table_name, con.conname, con.contype, pg_get_constraintdef(con.oid) AS definition
         FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
        WHERE rel.relname = ANY($1)
        ORDER BY rel.relname, con.conname`,
      [SEED_TABLES],
    );
    const indexes = await client.query(
      `SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY tablename, indexname`,
      [SEED_TABLES],
    );
    return { columns: columns.rows, constraints: constraints.rows, indexes: indexes.rows };
  } finally {
    await client.end();
  }
}

describe('migrations against the seed schema', () => {
  let migrated: TestDatabase;
  let seeded: TestDatabase;
  const seedSql = readFileSync(FIXTURE, 'utf8');

  beforeAll(async () => {
    [migrated, seeded] = await Promise.all([createTestDatabase('mig_app'), createTestDatabase('mig_seed')]);
  });
  afterAll(async () => {
    await Promise.all([migrated?.drop(), seeded?.drop()]);
  });

  it('keeps the committed fixture identical to the seed document', () => {
    if (!existsSync(SPEC)) return; // shared/ sits beside the clone on CI and dev machines
    expect(seedMigrationSql(readFileSync(SPEC, 'utf8'))).toBe(seedSql);
  });

  it('builds exactly the seed schema with Migration 1 and 2, then only adds to it', async () => {
    // Reference: our base tables, then the seed's SQL run verbatim.
    const base = new Migration20261127000001_base_users_songs(null as never, null as never);
    await base.up();
    const client = new Client({ connectionString: seeded.url });
    await client.connect();
    for (const sql of base.getQueries()) await client.query(sql as string);
    await client.query(seedSql);
    await client.end();
    const reference = await describeSchema(seeded.url);

    const orm = await MikroORM.init(createOrmConfig(migrated.url));
    try {
      await orm.getMigrator().up({ to: 'Migration20261127000003_create_integration_tables' });
      expect(await describeSchema(migrated.url)).toEqual(reference);

      await orm.getMigrator().up();
      const final = await describeSchema(migrated.url);
      // Later migrations are additive: everything the seed made is still there, unchanged.
      expect(final.columns).toEqual(expect.arrayContaining(reference.columns));
      expect(final.constraints).toEqual(expect.arrayContaining(reference.constraints));
      expect(final.indexes).toEqual(expect.arrayContaining(reference.indexes));
    } finally {
      await orm.close(true);
    }
  });

  it('leaves nothing for the schema generator to change: entity metadata matches the migrations', async () => {
    const orm = await MikroORM.init(createOrmConfig(migrated.url));
    try {
      const diff = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false, safe: false, dropTables: false });
      expect(diff.trim()).toBe('');
    } finally {
      await orm.close(true);
    }
  });
});
