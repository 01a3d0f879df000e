import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { AUDIO_FEATURES, Song } from '../songs/song.entity';
import { SpotifyClient } from '../spotify/spotify.client';
import { matchTrack, MatchResult } from '../spotify/track-matcher';

/** Clears what Spotify wrote for the previous link; audio features only when they were Spotify's. */
const CLEAR_SPOTIFY_DATA = `
  spotify_popularity = NULL, spotify_preview_url = NULL, spotify_external_url = NULL,
  spotify_last_sync = NULL, last_popularity_update = NULL, spotify_track_gone_at = NULL,
  ${AUDIO_FEATURES.map((f) => `${f} = CASE WHEN audio_features_synced THEN NULL ELSE ${f} END`).join(', ')},
  audio_features_synced = false`;

export type MatchOutcome = { song: Song } & (
  | { matched: true; via: 'isrc' | 'search'; score: number }
  | { matched: false; reason: string; detail: string }
);

@Injectable()
export class SongLinkService {
  constructor(
    private readonly em: EntityManager,
    private readonly spotify: SpotifyClient,
  ) {}

  /** ISRC search first, then title + artist + duration; links the best candidate or says why not. */
  async match(songId: string): Promise<MatchOutcome> {
    const song = await this.get(songId);
    const result: MatchResult = await matchTrack(
      { title: song.title, artist: song.artist, durationMs: song.durationMs, isrc: song.isrc },
      this.spotify,
    );
    if (!result.matched) return { song, matched: false, reason: result.reason, detail: result.detail };
    const linked = await this.link(songId, result.track.id);
    return { song: linked, matched: true, via: result.via, score: result.score };
  }

  /** Links by hand; relinking to another track clears the old track's Spotify data. */
  async link(songId: string, trackId: string): Promise<Song> {
    const song = await this.get(songId);
    if (song.spotifyTrackId === trackId) return song;
    const other = await this.em.fork().findOne(Song, { spotifyTrackId: trackId }, { fields: ['id'] });
    if (other) throw new ConflictException(`Spotify track ${trackId} is already linked to song ${other.id}`);
    try {
      await this.em.getConnection().execute(
        `UPDATE songs SET spotify_track_id = ?, ${CLEAR_SPOTIFY_DATA}, updated_at = now() AT TIME ZONE 'UTC' WHERE id = ?`,
        [trackId, songId],
      );
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new ConflictException(`Spotify track ${trackId} is already linked to another song`);
      }
      throw error;
    }
    return this.get(songId);
  }

  async unlink(songId: string): Promise<void> {
    await this.get(songId);
    await this.em.getConnection().execute(
      `UPDATE songs SET spotify_track_id = NULL, ${CLEAR_SPOTIFY_DATA}, updated_at = now() AT TIME ZONE 'UTC' WHERE id = ?`,
      [songId],
    );
  }

  async requireLinked(songId: string): Promise<Song> {
    const song = await this.get(songId);
    if (!song.spotifyTrackId) {
      throw new ConflictException(`Song ${songId} is not linked to a Spotify track: match or link it first`);
    }
    return song;
  }

  private async get(songId: string): Promise<Song> {
    const song = await this.em.fork().findOne(Song, { id: songId });
    if (!song) throw new NotFoundException(`Song ${songId} not found`);
    return song;
  }
}
