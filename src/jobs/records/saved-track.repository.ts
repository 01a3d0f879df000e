import { NOW_UTC, SqlRepository } from '../../common/sql-repository';
import type { SavedTrack } from './saved-track.entity';

export interface SavedTrackWrite {
  trackId: string;
  /** null when the song could not be written: the save is still seen, so it is never taken for removed */
  songId: string | null;
  addedAt: Date;
}

/** spotify_saved_tracks: which user saved which track, as of the last import. */
export class SavedTrackRepository extends SqlRepository<SavedTrack> {
  /** The stored library's size and newest save (by added_at, then track id). */
  async summary(userId: string): Promise<{ count: number; newestTrackId: string | null }> {
    const [row] = await this.execute<{ n: number; newest_track: string | null }[]>(
      `SELECT count(*)::int AS n,
              (array_agg(spotify_track_id ORDER BY added_at DESC, spotify_track_id))[1] AS newest_track
         FROM spotify_saved_tracks WHERE user_id = ? AND removed_at IS NULL`,
      [userId],
    );
    return { count: row.n, newestTrackId: row.newest_track };
  }

  async recordSeen(userId: string, saves: SavedTrackWrite[], seenAt: string): Promise<void> {
    if (!saves.length) return;
    await this.execute(
      `INSERT INTO spotify_saved_tracks (user_id, spotify_track_id, song_id, added_at, last_seen_at, removed_at)
       SELECT ?::uuid, v.track_id, v.song_id, v.added_at, ?::timestamp, NULL
         FROM jsonb_to_recordset(?::jsonb) AS v(track_id varchar, song_id uuid, added_at timestamp)
       ON CONFLICT (user_id, spotify_track_id) DO UPDATE
         SET song_id = COALESCE(EXCLUDED.song_id, spotify_saved_tracks.song_id), added_at = EXCLUDED.added_at, last_seen_at = EXCLUDED.last_seen_at, removed_at = NULL`,
      [userId, seenAt, JSON.stringify(saves.map((s) => ({ track_id: s.trackId, song_id: s.songId, added_at: s.addedAt.toISOString() })))],
    );
  }

  /** Saves not seen since `runStart` left the library; returns how many. */
  async markRemoved(userId: string, runStart: string): Promise<number> {
    const [row] = await this.execute<{ n: number }[]>(
      `WITH gone AS (
         UPDATE spotify_saved_tracks SET removed_at = ${NOW_UTC}
          WHERE user_id = ? AND removed_at IS NULL AND last_seen_at < ?::timestamp RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [userId, runStart],
    );
    return row.n;
  }
}
