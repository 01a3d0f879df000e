import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { SpotifyTokenService } from '../auth/spotify-token.service';
import { SpotifyClient } from '../spotify/spotify.client';
import { SpotifyUnauthorizedError } from '../spotify/spotify.errors';
import type { SpotifySavedTracksPage, SpotifyTrack } from '../spotify/spotify.types';
import { SongEnrichmentService } from './song-enrichment.service';
import { execute } from './sql';
import type { HandlerOutcome, JobRunContext, SyncJobHandler } from './sync-job.context';

const clip = (text: string, max = 500) => (text.length > max ? text.slice(0, max) : text);

/**
 * user_library: pages through the user's saved tracks with their token, creates or links the
 * songs, writes what the pages already carry (no second fetch of the same tracks), adds audio
 * features where the tier has them, and records which user saved which track so that a
 * re-import sees removals and an unchanged library costs one page.
 */
@Injectable()
export class UserLibraryHandler implements SyncJobHandler {
  constructor(
    private readonly spotify: SpotifyClient,
    private readonly tokens: SpotifyTokenService,
    private readonly enrichment: SongEnrichmentService,
  ) {}

  async run(ctx: JobRunContext): Promise<HandlerOutcome> {
    const userId = ctx.job.targetId!;
    ctx.checkpoint.runStart ??= new Date().toISOString();
    const runStart = String(ctx.checkpoint.runStart);
    let token = await this.tokens.getUserAccessToken(userId);
    const fetchPage = async (offset: number): Promise<SpotifySavedTracksPage> => {
      try {
        return await this.spotify.getSavedTracks(token, { offset, limit: 50 });
      } catch (error) {
        if (!(error instanceof SpotifyUnauthorizedError)) throw error;
        token = await this.tokens.refreshAfterUnauthorized(userId, token);
        return this.spotify.getSavedTracks(token, { offset, limit: 50 });
      }
    };

    for (;;) {
      if (ctx.stopping()) return { kind: 'interrupted' };
      const offset = (ctx.checkpoint.offset as number | undefined) ?? 0;
      const page = await fetchPage(offset);
      if (ctx.progress.total === null) ctx.progress.total = page.total;
      if (offset === 0 && (await this.unchanged(ctx.em, userId, page))) {
        ctx.progress.total = page.total;
        return { kind: 'completed', resultMessage: 'Library unchanged since the last import' };
      }
      const items = page.items.filter((item) => item.track?.id);
      // keyed by track id for now; the song ids are known once the songs are written
      const features = await this.enrichment.fetchAudioFeatures(items.map((i) => ({ id: i.track.id, spotifyTrackId: i.track.id })));
      if (features.unavailable) ctx.checkpoint.note = `Audio features not stored: ${features.unavailable}`;
      // the page's songs, saves and checkpoint commit together
      await ctx.em.transactional(async (tx) => {
        const songIds = await this.upsertSongs(tx, items.map((item) => item.track));
        await this.enrichment.writePageTracks(tx, items.map((item) => ({ songId: songIds.get(item.track.id)!, track: item.track })));
        await this.enrichment.writeAudioFeatures(tx, features.updates.map((u) => ({ ...u, id: songIds.get(u.id as string) })));
        await this.recordSaved(tx, userId, items.map((i) => ({ trackId: i.track.id, songId: songIds.get(i.track.id)!, addedAt: i.addedAt })), runStart);
        ctx.progress.done += items.length;
        ctx.checkpoint.offset = offset + page.items.length;
        await ctx.save(tx);
      });
      if (!page.next || page.items.length === 0) break;
    }

    const removed = await execute<{ n: number }[]>(
      ctx.em,
      `WITH gone AS (
         UPDATE spotify_saved_tracks SET removed_at = now() AT TIME ZONE 'UTC'
          WHERE user_id = ? AND removed_at IS NULL AND last_seen_at < ?::timestamp RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [userId, runStart],
    );
    const notes = [`Imported ${ctx.progress.done} saved tracks; ${removed[0].n} removed since the last import`];
    if (ctx.checkpoint.note) notes.push(String(ctx.checkpoint.note));
    return { kind: 'completed', resultMessage: notes.join('. ') };
  }

  /** Same count and same newest save as the stored library: nothing to import. */
  private async unchanged(em: EntityManager, userId: string, page: SpotifySavedTracksPage): Promise<boolean> {
    const first = page.items[0];
    const [stored] = await execute<{ n: number; newest_track: string | null; newest_at: Date | null }[]>(
      em,
      `SELECT count(*)::int AS n,
              (array_agg(spotify_track_id ORDER BY added_at DESC, spotify_track_id))[1] AS newest_track,
              max(added_at) AS newest_at
         FROM spotify_saved_tracks WHERE user_id = ? AND removed_at IS NULL`,
      [userId],
    );
    if (!first || stored.n === 0) return page.total === 0 && stored.n === 0;
    return stored.n === page.total && stored.newest_track === first.track.id;
  }

  /** Song ids by Spotify id: existing links first, then an unlinked song with the same ISRC, else a new song. */
  private async upsertSongs(em: EntityManager, tracks: SpotifyTrack[]): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    if (!tracks.length) return ids;
    const sql = <T>(text: string, params: unknown[]) => execute<T>(em, text, params);
    const linked = await sql<{ id: string; spotify_track_id: string }[]>(
      'SELECT id, spotify_track_id FROM songs WHERE spotify_track_id = ANY(?::varchar[])',
      [`{${tracks.map((t) => t.id).join(',')}}`],
    );
    for (const row of linked) ids.set(row.spotify_track_id, row.id);

    const unlinked = tracks.filter((t) => !ids.has(t.id) && t.isrc);
    if (unlinked.length) {
      const byIsrc = await sql<{ id: string; isrc: string }[]>(
        `SELECT DISTINCT ON (isrc) id, isrc FROM songs
          WHERE isrc = ANY(?::varchar[]) AND spotify_track_id IS NULL ORDER BY isrc, created_at, id`,
        [`{${unlinked.map((t) => t.isrc).join(',')}}`],
      );
      const songByIsrc = new Map(byIsrc.map((row) => [row.isrc, row.id]));
      const links = unlinked.filter((t) => songByIsrc.has(t.isrc!)).map((t) => ({ id: songByIsrc.get(t.isrc!)!, track: t.id }));
      // one song per ISRC: a second track with the same ISRC gets a song of its own
      const seen = new Set<string>();
      const unique = links.filter((l) => !seen.has(l.id) && seen.add(l.id));
      if (unique.length) {
        await sql(
          `UPDATE songs s SET spotify_track_id = v.track, spotify_track_gone_at = NULL, updated_at = now() AT TIME ZONE 'UTC'
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
        isrc: t.isrc && /^[A-Z]{2}[A-Z0-9]{3}\d{7}$/.test(t.isrc) ? t.isrc : null,
        spotify_track_id: t.id,
      }));
      // a concurrent import may have created some: DO NOTHING, then read every id back
      await sql(
        `INSERT INTO songs (title, artist, album, duration_ms, isrc, spotify_track_id)
         SELECT title, artist, album, duration_ms, isrc, spotify_track_id
           FROM jsonb_to_recordset(?::jsonb) AS v(title varchar, artist varchar, album varchar, duration_ms int, isrc varchar, spotify_track_id varchar)
         ON CONFLICT (spotify_track_id) DO NOTHING`,
        [JSON.stringify(rows)],
      );
      const created = await sql<{ id: string; spotify_track_id: string }[]>(
        'SELECT id, spotify_track_id FROM songs WHERE spotify_track_id = ANY(?::varchar[])',
        [`{${fresh.map((t) => t.id).join(',')}}`],
      );
      for (const row of created) ids.set(row.spotify_track_id, row.id);
    }
    return ids;
  }

  private async recordSaved(
    em: EntityManager,
    userId: string,
    saves: { trackId: string; songId: string; addedAt: Date }[],
    seenAt: string,
  ): Promise<void> {
    if (!saves.length) return;
    await execute(
      em,
      `INSERT INTO spotify_saved_tracks (user_id, spotify_track_id, song_id, added_at, last_seen_at, removed_at)
       SELECT ?::uuid, v.track_id, v.song_id, v.added_at, ?::timestamp, NULL
         FROM jsonb_to_recordset(?::jsonb) AS v(track_id varchar, song_id uuid, added_at timestamp)
       ON CONFLICT (user_id, spotify_track_id) DO UPDATE
         SET song_id = EXCLUDED.song_id, added_at = EXCLUDED.added_at, last_seen_at = EXCLUDED.last_seen_at, removed_at = NULL`,
      [userId, seenAt, JSON.stringify(saves.map((s) => ({ track_id: s.trackId, song_id: s.songId, added_at: s.addedAt.toISOString() })))],
    );
  }
}
