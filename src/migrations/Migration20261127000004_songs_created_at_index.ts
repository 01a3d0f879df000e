import { Migration } from '@mikro-orm/migrations';

/**
 * Additive: the default list order (-createdAt, keyset on created_at + id) has no seed index.
 * Without it every page of GET /v1/songs sorts the whole table.
 */
export class Migration20261127000004_songs_created_at_index extends Migration {
  override async up(): Promise<void> {
    this.addSql('CREATE INDEX idx_songs_created_at ON songs(created_at, id);');
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS idx_songs_created_at;');
  }
}
