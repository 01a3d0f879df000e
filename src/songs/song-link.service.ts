import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { SpotifyClient } from '../spotify/spotify.client';
import { matchTrack, MatchResult } from '../spotify/track-matcher';
import { Song } from './song.entity';
import type { SongRepository } from './song.repository';

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
    const other = await this.songs().findOne({ spotifyTrackId: trackId }, { fields: ['id'] });
    if (other) throw new ConflictException(`Spotify track ${trackId} is already linked to song ${other.id}`);
    try {
      await this.songs().link(songId, trackId);
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
    await this.songs().unlink(songId);
  }

  async requireLinked(songId: string): Promise<Song> {
    const song = await this.get(songId);
    if (!song.spotifyTrackId) {
      throw new ConflictException(`Song ${songId} is not linked to a Spotify track: match or link it first`);
    }
    return song;
  }

  /** A fresh identity map per call: a song read before a raw update would otherwise be served stale. */
  private songs(): SongRepository {
    return this.em.fork().getRepository(Song) as SongRepository;
  }

  private async get(songId: string): Promise<Song> {
    const song = await this.songs().findOne({ id: songId });
    if (!song) throw new NotFoundException(`Song ${songId} not found`);
    return song;
  }
}
