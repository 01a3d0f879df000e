import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AUDIO_FEATURES, AudioFeature, roundFeature } from '../songs/song.entity';
import { SpotifyClient } from '../spotify/spotify.client';
import type { SpotifyAudioFeatures, SpotifyTrack } from '../spotify/spotify.types';
import { execute } from './sql';
import type { ItemFailure } from './sync-job.context';

export interface LinkedSong {
  id: string;
  spotifyTrackId: string;
}

export interface FetchedChunk {
  mode: 'full' | 'popularity';
  updates: SongUpdate[];
  gone: LinkedSong[];
  audioFeaturesUnavailable: string | null;
}

export interface EnrichmentResult {
  done: number;
  failures: ItemFailure[];
  /** popularity was asked for but Spotify's answers carried none (development tier) */
  popularityMissing: boolean;
  audioFeaturesUnavailable: string | null;
}

type SongUpdate = Partial<Record<AudioFeature, number>> & {
  id: string;
  popularity: number | null;
  preview_url: string | null;
  external_url: string | null;
  isrc: string | null;
  features: boolean;
};

/**
 * Fetches Spotify data for linked songs and writes it, each field on its own: a refused or
 * missing piece (no popularity, no audio features, no preview) never stops the others from
 * being saved, and data Spotify does not give is left as it was, never wiped.
 */
@Injectable()
export class SongEnrichmentService {
  constructor(private readonly spotify: SpotifyClient) {}

  /** Fetches a chunk's Spotify data; nothing is written yet, so a crash here loses nothing. */
  async fetchTracks(songs: LinkedSong[], mode: 'full' | 'popularity'): Promise<FetchedChunk> {
    const tracks = await this.spotify.getTracks(songs.map((s) => s.spotifyTrackId));
    const known = songs.filter((s) => tracks.get(s.spotifyTrackId));
    const gone = songs.filter((s) => !tracks.get(s.spotifyTrackId));
    let features = new Map<string, SpotifyAudioFeatures | null>();
    let audioFeaturesUnavailable: string | null = null;
    if (mode === 'full' && known.length) {
      const result = await this.spotify.getAudioFeatures(known.map((s) => s.spotifyTrackId));
      if (result.available) features = result.features;
      else audioFeaturesUnavailable = result.reason;
    }
    const updates = known.map((song) => toUpdate(song.id, tracks.get(song.spotifyTrackId)!, features.get(song.spotifyTrackId) ?? null, mode));
    return { mode, updates, gone, audioFeaturesUnavailable };
  }

  /** Writes a fetched chunk (inside the caller's transaction when `em` is one). */
  async writeTracks(em: EntityManager, chunk: FetchedChunk): Promise<EnrichmentResult> {
    const withPopularity = chunk.updates.filter((u) => u.popularity !== null);
    if (chunk.mode === 'full') await this.writeFull(em, chunk.updates);
    else await this.writePopularity(em, withPopularity);
    await this.markGone(em, chunk.gone.map((s) => s.id));
    return {
      done: chunk.mode === 'full' ? chunk.updates.length : withPopularity.length,
      failures: chunk.gone.map((s) => ({ itemId: s.id, reason: `Spotify does not know track ${s.spotifyTrackId}` })),
      popularityMissing: chunk.updates.length > 0 && withPopularity.length === 0,
      audioFeaturesUnavailable: chunk.audioFeaturesUnavailable,
    };
  }

  /** Track data already in hand (a saved-tracks page): write it without fetching the tracks again. */
  async writePageTracks(em: EntityManager, items: { songId: string; track: SpotifyTrack }[]): Promise<void> {
    await this.writeFull(em, items.map(({ songId, track }) => toUpdate(songId, track, null, 'full')));
  }

  /** Audio features for songs whose tracks come from elsewhere (extended tier only); null reason = fetched. */
  async fetchAudioFeatures(songs: LinkedSong[]): Promise<{ updates: Record<string, unknown>[]; unavailable: string | null }> {
    if (!songs.length) return { updates: [], unavailable: null };
    const result = await this.spotify.getAudioFeatures(songs.map((s) => s.spotifyTrackId));
    if (!result.available) return { updates: [], unavailable: result.reason };
    const updates = songs
      .map((s) => ({ id: s.id, f: result.features.get(s.spotifyTrackId) }))
      .filter((u): u is { id: string; f: SpotifyAudioFeatures } => !!u.f)
      .map((u) => ({ id: u.id, features: true, ...roundedFeatures(u.f) }));
    return { updates, unavailable: null };
  }

  async writeAudioFeatures(em: EntityManager, updates: Record<string, unknown>[]): Promise<void> {
    if (!updates.length) return;
    await execute(
      em,
      `UPDATE songs s SET ${FEATURE_ASSIGNMENTS}, audio_features_synced = true
         FROM jsonb_to_recordset(?::jsonb) AS v(id uuid, features boolean, ${FEATURE_COLUMNS})
        WHERE s.id = v.id`,
      [JSON.stringify(updates)],
    );
  }

  private async writeFull(em: EntityManager, updates: SongUpdate[]): Promise<void> {
    if (!updates.length) return;
    await execute(
      em,
      `UPDATE songs s SET
          spotify_popularity = COALESCE(v.popularity, s.spotify_popularity),
          last_popularity_update = CASE WHEN v.popularity IS NULL THEN s.last_popularity_update ELSE now() AT TIME ZONE 'UTC' END,
          spotify_preview_url = COALESCE(v.preview_url, s.spotify_preview_url),
          spotify_external_url = COALESCE(v.external_url, s.spotify_external_url),
          isrc = COALESCE(s.isrc, v.isrc),
          ${AUDIO_FEATURES.map((f) => `${f} = CASE WHEN v.features THEN v.${f} ELSE s.${f} END`).join(',\n          ')},
          audio_features_synced = CASE WHEN v.features THEN true ELSE s.audio_features_synced END,
          spotify_last_sync = now() AT TIME ZONE 'UTC',
          spotify_track_gone_at = NULL,
          updated_at = now() AT TIME ZONE 'UTC'
         FROM jsonb_to_recordset(?::jsonb) AS v(id uuid, popularity int, preview_url text, external_url text,
              isrc varchar, features boolean, ${FEATURE_COLUMNS})
        WHERE s.id = v.id`,
      [JSON.stringify(updates)],
    );
  }

  private async writePopularity(em: EntityManager, updates: SongUpdate[]): Promise<void> {
    if (!updates.length) return;
    await execute(
      em,
      `UPDATE songs s SET spotify_popularity = v.popularity, last_popularity_update = now() AT TIME ZONE 'UTC',
              updated_at = now() AT TIME ZONE 'UTC'
         FROM jsonb_to_recordset(?::jsonb) AS v(id uuid, popularity int)
        WHERE s.id = v.id`,
      [JSON.stringify(updates.map((u) => ({ id: u.id, popularity: u.popularity })))],
    );
  }

  /** Spotify no longer knows these ids: flag them so no run fetches them again until relinked. */
  private async markGone(em: EntityManager, songIds: string[]): Promise<void> {
    if (!songIds.length) return;
    await execute(
      em,
      `UPDATE songs SET spotify_track_gone_at = now() AT TIME ZONE 'UTC' WHERE id = ANY(?::uuid[])`,
      [`{${songIds.join(',')}}`],
    );
  }
}

const FEATURE_COLUMNS = AUDIO_FEATURES.map((f) => `${f} numeric`).join(', ');
const FEATURE_ASSIGNMENTS = AUDIO_FEATURES.map((f) => `${f} = v.${f}`).join(', ');

function roundedFeatures(f: SpotifyAudioFeatures): Record<AudioFeature, number> {
  return Object.fromEntries(AUDIO_FEATURES.map((name) => [name, roundFeature(name, f[name])])) as Record<AudioFeature, number>;
}

function toUpdate(id: string, track: SpotifyTrack, features: SpotifyAudioFeatures | null, mode: 'full' | 'popularity'): SongUpdate {
  return {
    id,
    popularity: track.popularity,
    preview_url: mode === 'full' ? track.previewUrl : null,
    external_url: mode === 'full' ? track.externalUrl : null,
    isrc: mode === 'full' ? track.isrc : null,
    features: !!features,
    ...(features ? roundedFeatures(features) : {}),
  };
}
