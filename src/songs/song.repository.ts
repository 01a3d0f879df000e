import { EntityRepository } from '@mikro-orm/postgresql';
import type { Knex } from '@mikro-orm/postgresql';
import { decodeCursor, fingerprint, keysetPage, Page } from '../common/cursor';
import { SONG_RESPONSE_COLUMNS, SongRow, toSongResponse } from './song-response.mapper';
import { AUDIO_FEATURES, Song } from './song.entity';
import type { ListSongsQuery, SongResponse, SongSort } from './songs.dto';

/** Column values for a song row, snake_case, as written by create/bulk upsert. */
export type SongColumns = Record<string, string | number | boolean | Date | null>;

interface SortSpec {
  column: string;
  direction: 'asc' | 'desc';
  /** nullable sort keys get explicit NULL placement and null-aware keyset conditions */
  nullsFirst?: boolean;
  onlyNonNull?: boolean;
}

const SORTS: Record<SongSort, SortSpec> = {
  '-createdAt': { column: 'created_at', direction: 'desc' },
  createdAt: { column: 'created_at', direction: 'asc' },
  popularity: { column: 'spotify_popularity', direction: 'asc', onlyNonNull: true },
  '-popularity': { column: 'spotify_popularity', direction: 'desc', onlyNonNull: true },
  title: { column: 'title', direction: 'asc' },
  '-title': { column: 'title', direction: 'desc' },
  // stalest first: never-synced songs, then the oldest sync
  lastSync: { column: 'spotify_last_sync', direction: 'asc', nullsFirst: true },
  '-lastSync': { column: 'spotify_last_sync', direction: 'desc', nullsFirst: false },
};

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export class SongRepository extends EntityRepository<Song> {
  private get knex(): Knex {
    return this.getEntityManager().getKnex();
  }

  /**
   * The list query, exposed so that a test can EXPLAIN exactly what the endpoint runs.
   * Keyset pagination: rows after the cursor's (sort value, id), one extra row to know if
   * there is a next page.
   */
  buildListQuery(query: ListSongsQuery): Knex.QueryBuilder {
    const sort = SORTS[query.sort ?? '-createdAt'];
    const limit = query.limit ?? 50;
    const qb = this.knex('songs').select(...SONG_RESPONSE_COLUMNS, this.knex.raw('??::text as cursor_key', [sort.column]));

    if (query.q) {
      const pattern = `%${escapeLike(query.q)}%`;
      qb.where((w) => w.whereILike('title', pattern).orWhereILike('artist', pattern));
    }
    if (query.minPopularity !== undefined) qb.where('spotify_popularity', '>=', query.minPopularity);
    if (query.maxPopularity !== undefined) qb.where('spotify_popularity', '<=', query.maxPopularity);
    if (query.synced !== undefined) {
      if (query.synced) qb.whereNotNull('spotify_last_sync');
      else qb.whereNull('spotify_last_sync');
    }
    if (query.audioFeaturesSynced !== undefined) {
      qb.whereRaw(query.audioFeaturesSynced ? 'audio_features_synced IS TRUE' : 'audio_features_synced IS NOT TRUE');
    }
    if (query.staleBefore) qb.where('spotify_last_sync', '<', new Date(query.staleBefore));
    if (sort.onlyNonNull) qb.whereNotNull(sort.column);

    if (query.cursor) {
      const [value, id] = decodeCursor(query.cursor, fingerprint({ ...query }));
      this.whereAfter(qb, sort, value, String(id));
    }

    const nulls = sort.nullsFirst === undefined ? '' : sort.nullsFirst ? ' NULLS FIRST' : ' NULLS LAST';
    qb.orderByRaw(`?? ${sort.direction}${nulls}, id ${sort.direction}`, [sort.column]);
    return qb.limit(limit + 1);
  }

  /** A read-only page: plain rows mapped once to the response, never hydrated into the identity map. */
  async list(query: ListSongsQuery): Promise<Page<SongResponse>> {
    const rows: Record<string, unknown>[] = await this.buildListQuery(query);
    return keysetPage(rows, { ...query }, (row) => toSongResponse(row as SongRow));
  }

  private whereAfter(qb: Knex.QueryBuilder, sort: SortSpec, value: string | number | null, id: string): void {
    const op = sort.direction === 'asc' ? '>' : '<';
    const col = sort.column;
    if (sort.nullsFirst === undefined) {
      qb.whereRaw(`(??, id) ${op} (?, ?)`, [col, value, id]);
      return;
    }
    // Nullable key: the NULL block sits first (lastSync) or last (-lastSync).
    if (value === null) {
      qb.where((w) => {
        w.where((n) => n.whereNull(col).andWhere('id', op, id));
        if (sort.nullsFirst) w.orWhereNotNull(col);
      });
    } else {
      qb.where((w) => {
        w.whereRaw(`(??, id) ${op} (?, ?)`, [col, value, id]);
        if (!sort.nullsFirst) w.orWhereNull(col);
      });
    }
  }

  /**
   * Bulk upsert in a few statements per batch, not one per row:
   * rows with a Spotify id upsert on it; the others take the id of an existing song with the
   * same ISRC (the oldest, when several share it) and upsert on the primary key.
   * Absent fields never overwrite stored values.
   */
  async bulkUpsert(rows: SongColumns[]): Promise<{ created: number; updated: number }> {
    const byTrackId = rows.filter((row) => row.spotify_track_id);
    const others = rows.filter((row) => !row.spotify_track_id);
    return this.getEntityManager().transactional(async (em) => {
      const knex = em.getKnex();
      const isrcs = [...new Set(others.map((row) => row.isrc).filter((isrc): isrc is string => !!isrc))];
      if (isrcs.length) {
        const existing: { id: string; isrc: string }[] = await knex('songs')
          .distinctOn('isrc')
          .select('id', 'isrc')
          .whereIn('isrc', isrcs)
          .orderBy([{ column: 'isrc' }, { column: 'created_at' }, { column: 'id' }]);
        const idByIsrc = new Map(existing.map((song) => [song.isrc, song.id]));
        for (const row of others) {
          const id = row.isrc ? idByIsrc.get(row.isrc as string) : undefined;
          if (id) row.id = id;
        }
      }
      let created = 0;
      let updated = 0;
      for (const [batch, conflictColumn] of [
        [byTrackId, 'spotify_track_id'],
        [others, 'id'],
      ] as const) {
        if (!batch.length) continue;
        const result: { inserted: boolean }[] = await this.upsertStatement(knex, batch, conflictColumn);
        const inserted = result.filter((r) => r.inserted).length;
        created += inserted;
        updated += result.length - inserted;
      }
      return { created, updated };
    });
  }

  private upsertStatement(knex: Knex, rows: SongColumns[], conflictColumn: string) {
    const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
    // every row gets every column so a multi-row VALUES lines up; DEFAULT where absent
    const values = rows.map((row) =>
      Object.fromEntries(columns.map((c) => [c, c in row ? row[c] : knex.raw('DEFAULT')])),
    );
    const merge = Object.fromEntries(
      columns
        .filter((c) => c !== 'id' && c !== 'created_at')
        .map((c) =>
          c === 'updated_at'
            ? [c, knex.raw('CURRENT_TIMESTAMP')]
            : [c, knex.raw('COALESCE(EXCLUDED.??, songs.??)', [c, c])],
        ),
    );
    const writtenFeatures = columns.filter((c) => (AUDIO_FEATURES as readonly string[]).includes(c));
    if (writtenFeatures.length) {
      // features from a caller are not Spotify's: clear the flag only where this row wrote some
      merge.audio_features_synced = knex.raw(
        `CASE WHEN COALESCE(${writtenFeatures.map(() => 'EXCLUDED.??').join(', ')}) IS NOT NULL THEN false ELSE songs.audio_features_synced END`,
        writtenFeatures,
      );
    }
    return knex('songs')
      .insert(values)
      .onConflict(conflictColumn)
      .merge(merge)
      .returning(knex.raw('(xmax = 0) AS inserted'));
  }
}
