import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { NOW_UTC, pgArray, SqlRepository } from '../common/sql-repository';
import type { SpotifyTrack } from '../spotify/spotify.types';
import { decodeCursor, fingerprint, keysetPage, Page } from '../common/cursor';
import { AUDIO_FEATURES, AudioFeature } from './audio-features';
import { SONG_RESPONSE_COLUMNS, SongRow, toSongResponse } from './song-response.mapper';
import { Song } from './song.entity';
import { ISRC } from './songs.dto';
import { syncNotBefore } from './sync-backoff';
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

export class SongRepository extends SqlRepository<Song> {
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
   * Bulk upsert in a few statements per batch, not one per row, all in one transaction:
   * rows with a Spotify id upsert on it; the others take the id of an existing song with the
   * same ISRC (the oldest, when several share it) and upsert on the primary key. ISRC keys are
   * locked for the transaction (advisory locks, in sorted order) so that concurrent batches
   * carrying one new ISRC create one song. Absent fields never overwrite stored values.
   * A row the database refuses is rejected alone (the batch is retried row by row under
   * savepoints); the rest is written.
   */
  async bulkUpsert(rows: IndexedSongColumns[]): Promise<BulkUpsertOutcome> {
    return this.getEntityManager().transactional(async (em) => {
      const trx = em.getTransactionContext<Knex.Transaction>()!;
      const byTrackId = rows.filter((row) => row.columns.spotify_track_id);
      const others = rows.filter((row) => !row.columns.spotify_track_id);
      const isrcs = [...new Set(others.map((row) => row.columns.isrc).filter((isrc): isrc is string => !!isrc))];
      if (isrcs.length) {
        await trx.raw(
          `SELECT count(pg_advisory_xact_lock(h)) FROM (
             SELECT DISTINCT hashtextextended('songs.isrc:' || i, 0) AS h FROM unnest(?::varchar[]) AS i ORDER BY h) AS keys`,
          [pgArray(isrcs)],
        );
        const existing: { id: string; isrc: string }[] = await trx('songs')
          .distinctOn('isrc')
          .select('id', 'isrc')
          .whereIn('isrc', isrcs)
          .orderBy([{ column: 'isrc' }, { column: 'created_at' }, { column: 'id' }]);
        const idByIsrc = new Map(existing.map((song) => [song.isrc, song.id]));
        for (const row of others) {
          const id = row.columns.isrc ? idByIsrc.get(row.columns.isrc as string) : undefined;
          if (id) row.columns.id = id;
        }
      }
      const outcome: BulkUpsertOutcome = { created: 0, updated: 0, rejected: [] };
      for (const [batch, conflictColumn] of [
        [byTrackId, 'spotify_track_id'],
        [others, 'id'],
      ] as const) {
        if (batch.length) await this.upsertBatch(em, batch, conflictColumn, outcome);
      }
      outcome.rejected.sort((a, b) => a.index - b.index);
      return outcome;
    });
  }

  private async upsertBatch(
    em: EntityManager,
    batch: IndexedSongColumns[],
    conflictColumn: 'spotify_track_id' | 'id',
    outcome: BulkUpsertOutcome,
  ): Promise<void> {
    const count = (result: { inserted: boolean }[]) => {
      const inserted = result.filter((r) => r.inserted).length;
      outcome.created += inserted;
      outcome.updated += result.length - inserted;
    };
    const attempt = (rows: IndexedSongColumns[]) =>
      em.transactional(async (savepoint) => {
        const trx = savepoint.getTransactionContext<Knex.Transaction>()!;
        return (await this.upsertStatement(trx, rows.map((r) => r.columns), conflictColumn)) as { inserted: boolean }[];
      });
    try {
      count(await attempt(batch));
      return;
    } catch (error) {
      if (!isRowRefusal(error)) throw error;
    }
    // the batch was refused: find the row(s) responsible, one savepoint each
    for (const row of batch) {
      try {
        count(await attempt([row]));
      } catch (error) {
        if (!isRowRefusal(error)) throw error;
        outcome.rejected.push({ index: row.index, reasons: [refusalReason(error)] });
      }
    }
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
      merge.audio_features_synced = knex.raw(
        `CASE WHEN COALESCE(${writtenFeatures.map(() => 'EXCLUDED.??').join(', ')}) IS NOT NULL THEN ${FEATURES_FROM_CALLER} ELSE songs.audio_features_synced END`,
        writtenFeatures,
      );
    }
    return knex('songs')
      .insert(values)
      .onConflict(conflictColumn)
      .merge(merge)
      .returning(knex.raw('(xmax = 0) AS inserted'));
  }

  /** Features written through the API are the caller's, not Spotify's (the audio_features_synced rule below). */
  markFeaturesFromCaller(song: Song): void {
    song.audioFeaturesSynced = FEATURES_FROM_CALLER;
  }

  // ---- Spotify data (jobs and links) ----

  /** The named songs that exist, with their Spotify link (null when unlinked). */
  async findLinks(songIds: string[]): Promise<Map<string, string | null>> {
    if (!songIds.length) return new Map();
    const rows = await this.execute<{ id: string; spotify_track_id: string | null }[]>(
      'SELECT id, spotify_track_id FROM songs WHERE id = ANY(?::uuid[])',
      [pgArray(songIds)],
    );
    return new Map(rows.map((row) => [row.id, row.spotify_track_id]));
  }

  /** How many linked songs are stale: `column` empty or older than the cutoff. */
  async countStale(column: FreshnessColumn, cutoff: Date): Promise<number> {
    const [{ n }] = await this.execute<{ n: number }[]>(`SELECT count(*)::int AS n FROM songs WHERE ${staleWhere(column)}`, [cutoff]);
    return n;
  }

  /**
   * The stalest linked songs first, then those saved by more users with an active Spotify connection
   * (their libraries show them); a synced song's fresh time passes the cutoff, so it drops out. Savers
   * are counted once per chunk in one aggregate (a hash join), not per song: on 100k songs and 200k
   * saves a chunk takes about 0.15 s either way, where a correlated count took seconds while many
   * songs tie (never synced).
   */
  async nextStale(column: FreshnessColumn, cutoff: Date, limit: number): Promise<LinkedSong[]> {
    const rows = await this.execute<{ id: string; spotify_track_id: string }[]>(
      `SELECT id, spotify_track_id FROM songs
         LEFT JOIN (SELECT st.song_id, count(*) AS savers
                      FROM spotify_saved_tracks st
                      JOIN spotify_connections c ON c.user_id = st.user_id AND c.status = 'active'
                     WHERE st.removed_at IS NULL AND st.song_id IS NOT NULL
                     GROUP BY st.song_id) v ON v.song_id = songs.id
        WHERE ${staleWhere(column)}
        ORDER BY ${column} ASC NULLS FIRST, COALESCE(v.savers, 0) DESC, id
        LIMIT ?`,
      [cutoff, limit],
    );
    return rows.map((row) => ({ id: row.id, spotifyTrackId: row.spotify_track_id }));
  }

  /**
   * Writes what Spotify gave, each field on its own: a missing piece (no popularity, no features,
   * no preview) leaves the stored value as it was; the ISRC is only filled, never replaced.
   */
  async applySpotifyTracks(updates: SpotifySongUpdate[]): Promise<void> {
    if (!updates.length) return;
    await this.execute(
      `UPDATE songs s SET
          spotify_popularity = COALESCE(v.popularity, s.spotify_popularity),
          last_popularity_update = CASE WHEN v.popularity IS NULL THEN s.last_popularity_update ELSE ${NOW_UTC} END,
          spotify_preview_url = COALESCE(v.preview_url, s.spotify_preview_url),
          spotify_external_url = COALESCE(v.external_url, s.spotify_external_url),
          isrc = COALESCE(s.isrc, v.isrc),
          ${AUDIO_FEATURES.map((f) => `${f} = CASE WHEN v.features THEN v.${f} ELSE s.${f} END`).join(',\n          ')},
          audio_features_synced = CASE WHEN v.features THEN ${FEATURES_FROM_SPOTIFY} ELSE s.audio_features_synced END,
          spotify_last_sync = ${NOW_UTC},
          spotify_track_gone_at = NULL,
          ${CLEAR_FAILURES('v.keep_failures')},
          updated_at = ${NOW_UTC}
         FROM jsonb_to_recordset(?::jsonb) AS v(id uuid, popularity int, preview_url text, external_url text,
              isrc varchar, features boolean, keep_failures boolean, ${FEATURE_COLUMNS})
        WHERE s.id = v.id`,
      [
        JSON.stringify(
          updates.map((u) => ({
            ...u.features,
            id: u.id,
            popularity: u.popularity,
            preview_url: u.previewUrl,
            external_url: u.externalUrl,
            isrc: u.isrc,
            features: !!u.features,
            keep_failures: !!u.failed,
          })),
        ),
      ],
    );
  }

  /**
   * applySpotifyTracks, with every row the database refuses (SQLSTATE class 22/23) set apart: the
   * batch runs under a savepoint, and if it is refused, each row under its own. Returns the refused
   * songs with a stable reason; the others are written. Call it inside a transaction.
   */
  async applySpotifyTracksIsolating(updates: SpotifySongUpdate[]): Promise<{ id: string; reason: string }[]> {
    const em = this.getEntityManager();
    const attempt = (rows: SpotifySongUpdate[]) =>
      em.transactional((savepoint) => (savepoint.getRepository(Song) as SongRepository).applySpotifyTracks(rows));
    try {
      await attempt(updates);
      return [];
    } catch (error) {
      if (!isRowRefusal(error)) throw error;
    }
    const refused: { id: string; reason: string }[] = [];
    for (const update of updates) {
      try {
        await attempt([update]);
      } catch (error) {
        if (!isRowRefusal(error)) throw error;
        refused.push({ id: update.id, reason: `The database refused the song's Spotify data: ${refusalReason(error)}` });
      }
    }
    return refused;
  }

  /**
   * Songs whose sync failed: the consecutive-failure count goes up and stale runs skip the song
   * until its back-off (sync-backoff.ts) has passed. The reason is kept on the song.
   */
  async recordSyncFailures(failures: { id: string; reason: string }[], now = new Date()): Promise<void> {
    if (!failures.length) return;
    const rows = await this.execute<{ id: string; spotify_sync_failures: number }[]>(
      'SELECT id, spotify_sync_failures FROM songs WHERE id = ANY(?::uuid[]) FOR UPDATE',
      [pgArray(failures.map((f) => f.id))],
    );
    const countById = new Map(rows.map((row) => [row.id, row.spotify_sync_failures]));
    const values = failures
      .filter((f) => countById.has(f.id))
      .map((f) => {
        const count = countById.get(f.id)! + 1;
        return { id: f.id, failures: count, not_before: syncNotBefore(count, now).toISOString(), reason: f.reason.slice(0, 1000) };
      });
    if (!values.length) return;
    await this.execute(
      `UPDATE songs s SET spotify_sync_failures = v.failures, spotify_sync_not_before = v.not_before,
              spotify_sync_failure_reason = v.reason
         FROM jsonb_to_recordset(?::jsonb) AS v(id uuid, failures int, not_before timestamp, reason text)
        WHERE s.id = v.id`,
      [JSON.stringify(values)],
    );
  }

  async applyPopularity(updates: { id: string; popularity: number }[]): Promise<void> {
    if (!updates.length) return;
    await this.execute(
      `UPDATE songs s SET spotify_popularity = v.popularity, last_popularity_update = ${NOW_UTC}, ${CLEAR_FAILURES('false')}, updated_at = ${NOW_UTC}
         FROM jsonb_to_recordset(?::jsonb) AS v(id uuid, popularity int)
        WHERE s.id = v.id`,
      [JSON.stringify(updates)],
    );
  }

  async applyAudioFeatures(updates: { id: string; features: Record<AudioFeature, number> }[]): Promise<void> {
    if (!updates.length) return;
    await this.execute(
      `UPDATE songs s SET ${AUDIO_FEATURES.map((f) => `${f} = v.${f}`).join(', ')}, audio_features_synced = ${FEATURES_FROM_SPOTIFY}
         FROM jsonb_to_recordset(?::jsonb) AS v(id uuid, ${FEATURE_COLUMNS})
        WHERE s.id = v.id`,
      [JSON.stringify(updates.map((u) => ({ ...u.features, id: u.id })))],
    );
  }

  /** Spotify no longer knows these songs' tracks: not fetched again until relinked. */
  /** Flags songs whose Spotify id Spotify no longer knows; returns those newly flagged, as the API shows them. */
  async markGone(songIds: string[]): Promise<SongResponse[]> {
    if (!songIds.length) return [];
    const rows = await this.execute<SongRow[]>(
      `UPDATE songs SET spotify_track_gone_at = ${NOW_UTC}
        WHERE id = ANY(?::uuid[]) AND spotify_track_gone_at IS NULL
        RETURNING ${SONG_RESPONSE_COLUMNS.join(', ')}`,
      [pgArray(songIds)],
    );
    return rows.map(toSongResponse);
  }

  /** Links a song to a track, clearing what the previous link brought. Throws on a taken track (unique key). */
  async link(songId: string, trackId: string): Promise<void> {
    await this.execute(`UPDATE songs SET spotify_track_id = ?, ${CLEAR_SPOTIFY_DATA}, updated_at = ${NOW_UTC} WHERE id = ?`, [trackId, songId]);
  }

  async unlink(songId: string): Promise<void> {
    await this.execute(`UPDATE songs SET spotify_track_id = NULL, ${CLEAR_SPOTIFY_DATA}, updated_at = ${NOW_UTC} WHERE id = ?`, [songId]);
  }

  /**
   * Song ids by Spotify id for tracks from a user's library: existing links first, then an
   * unlinked song with the same ISRC (one song per ISRC), else a new song.
   */
  async upsertFromSpotify(tracks: SpotifyTrack[]): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    if (!tracks.length) return ids;
    const readLinks = async (trackIds: string[]) => {
      const rows = await this.execute<{ id: string; spotify_track_id: string }[]>(
        'SELECT id, spotify_track_id FROM songs WHERE spotify_track_id = ANY(?::varchar[])',
        [pgArray(trackIds)],
      );
      for (const row of rows) ids.set(row.spotify_track_id, row.id);
    };
    await readLinks(tracks.map((t) => t.id));

    const unlinked = tracks.filter((t) => !ids.has(t.id) && t.isrc);
    if (unlinked.length) {
      const byIsrc = await this.execute<{ id: string; isrc: string }[]>(
        `SELECT DISTINCT ON (isrc) id, isrc FROM songs
          WHERE isrc = ANY(?::varchar[]) AND spotify_track_id IS NULL ORDER BY isrc, created_at, id`,
        [pgArray(unlinked.map((t) => t.isrc!))],
      );
      const songByIsrc = new Map(byIsrc.map((row) => [row.isrc, row.id]));
      const links = unlinked.filter((t) => songByIsrc.has(t.isrc!)).map((t) => ({ id: songByIsrc.get(t.isrc!)!, track: t.id }));
      // one song per ISRC: a second track with the same ISRC gets a song of its own
      const seen = new Set<string>();
      const unique = links.filter((l) => !seen.has(l.id) && seen.add(l.id));
      if (unique.length) {
        await this.execute(
          `UPDATE songs s SET spotify_track_id = v.track, spotify_track_gone_at = NULL, updated_at = ${NOW_UTC}
             FROM jsonb_to_recordset(?::jsonb) AS v(id uuid, track varchar)
            WHERE s.id = v.id AND s.spotify_track_id IS NULL`,
          [JSON.stringify(unique)],
        );
        for (const link of unique) ids.set(link.track, link.id);
      }
    }

    const fresh = tracks.filter((t) => !ids.has(t.id));
    if (fresh.length) {
      const rows = fresh.map((t) => ({
        title: clip(t.name || 'Untitled'),
        artist: clip(t.artists.map((a) => a.name).join(', ') || 'Unknown artist'),
        album: t.album?.name ? clip(t.album.name) : null,
        duration_ms: t.durationMs > 0 ? t.durationMs : null,
        isrc: t.isrc && ISRC.test(t.isrc) ? t.isrc : null,
        spotify_track_id: t.id,
      }));
      // a concurrent import may have created some: DO NOTHING, then read every id back
      await this.execute(
        `INSERT INTO songs (title, artist, album, duration_ms, isrc, spotify_track_id)
         SELECT title, artist, album, duration_ms, isrc, spotify_track_id
           FROM jsonb_to_recordset(?::jsonb) AS v(title varchar, artist varchar, album varchar, duration_ms int, isrc varchar, spotify_track_id varchar)
         ON CONFLICT (spotify_track_id) DO NOTHING`,
        [JSON.stringify(rows)],
      );
      await readLinks(fresh.map((t) => t.id));
    }
    return ids;
  }
}

/** Column values for a bulk-upserted row, with its index in the request. */
export interface IndexedSongColumns {
  index: number;
  columns: SongColumns;
}

export interface BulkUpsertOutcome {
  created: number;
  updated: number;
  rejected: { index: number; reasons: string[] }[];
}

export interface LinkedSong {
  id: string;
  spotifyTrackId: string;
}

/** What Spotify says about one song's track; null fields are left as stored. */
export interface SpotifySongUpdate {
  id: string;
  popularity: number | null;
  previewUrl: string | null;
  externalUrl: string | null;
  isrc: string | null;
  /** rounded audio features, when Spotify gave them */
  features: Record<AudioFeature, number> | null;
  /** part of the song's sync failed (e.g. its audio features were refused): its back-off is kept */
  failed?: boolean;
}

/** The column that says how fresh a song's Spotify data is. */
export type FreshnessColumn = 'spotify_last_sync' | 'last_popularity_update';

const staleWhere = (column: FreshnessColumn) =>
  `spotify_track_id IS NOT NULL AND spotify_track_gone_at IS NULL AND (${column} IS NULL OR ${column} < ?::timestamp)
   AND (spotify_sync_not_before IS NULL OR spotify_sync_not_before <= ${NOW_UTC})`;

/** A successful sync clears the song's back-off, unless `keep` (its sync also failed in part). */
const CLEAR_FAILURES = (keep: string) => `
  spotify_sync_failures = CASE WHEN ${keep} THEN s.spotify_sync_failures ELSE 0 END,
  spotify_sync_not_before = CASE WHEN ${keep} THEN s.spotify_sync_not_before ELSE NULL END,
  spotify_sync_failure_reason = CASE WHEN ${keep} THEN s.spotify_sync_failure_reason ELSE NULL END`;

const clip = (text: string, max = 500) => (text.length > max ? text.slice(0, max) : text);

const FEATURE_COLUMNS = AUDIO_FEATURES.map((f) => `${f} numeric`).join(', ');

/**
 * The audio_features_synced rule, in one place: features Spotify gave set it; features a caller
 * wrote clear it; dropping a link clears the features only where they were Spotify's.
 */
const FEATURES_FROM_SPOTIFY = true;
const FEATURES_FROM_CALLER = false;
const CLEAR_SPOTIFY_DATA = `
  spotify_popularity = NULL, spotify_preview_url = NULL, spotify_external_url = NULL,
  spotify_last_sync = NULL, last_popularity_update = NULL, spotify_track_gone_at = NULL,
  spotify_sync_failures = 0, spotify_sync_not_before = NULL, spotify_sync_failure_reason = NULL,
  ${AUDIO_FEATURES.map((f) => `${f} = CASE WHEN audio_features_synced THEN NULL ELSE ${f} END`).join(', ')},
  audio_features_synced = false`;

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint): the row, not the database, is the problem. */
export function isRowRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}

/** A stable reason for a row the database refused; the driver's text (values, SQL) stays out. */
export function refusalReason(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === '23514') return 'a value is out of the allowed range';
  if (code === '23505') return 'conflicts with another song (unique key)';
  if (code === '22001') return 'a value is too long';
  if (code === '22021' || code === '22P05') return 'a text holds a character the database cannot store (such as NUL)';
  return 'the database refused this row';
}
