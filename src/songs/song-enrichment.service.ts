import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { SpotifyClient } from '../spotify/spotify.client';
import type { SpotifyAudioFeatures, SpotifyTrack } from '../spotify/spotify.types';
import { AUDIO_FEATURES, AudioFeature, roundFeature, Song } from './song.entity';
import type { FreshnessColumn, LinkedSong, SongRepository, SpotifySongUpdate } from './song.repository';

export type { FreshnessColumn, LinkedSong } from './song.repository';

export interface FetchedChunk {
  mode: 'full' | 'popularity';
  updates: SpotifySongUpdate[];
  gone: LinkedSong[];
  audioFeaturesUnavailable: string | null;
}

export interface EnrichmentResult {
  done: number;
  /** songs whose track Spotify no longer knows (flagged, not fetched again until relinked) */
  gone: LinkedSong[];
  /** popularity was asked for but Spotify's answers carried none (development tier) */
  popularityMissing: boolean;
  audioFeaturesUnavailable: string | null;
}

export interface AudioFeatureUpdate {
  id: string;
  features: Record<AudioFeature, number>;
}

const songs = (em: EntityManager) => em.getRepository(Song) as SongRepository;

/**
 * Fetches Spotify data for linked songs and writes it, each field on its own: a refused or
 * missing piece (no popularity, no audio features, no preview) never stops the others from
 * being saved, and data Spotify does not give is left as it was, never wiped. Writes take the
 * caller's EntityManager so that they join its transaction.
 */
@Injectable()
export class SongEnrichmentService {
  constructor(private readonly spotify: SpotifyClient) {}

  /** Which of the named songs exist, with their link (null when unlinked). */
  findLinks(em: EntityManager, songIds: string[]): Promise<Map<string, string | null>> {
    return songs(em).findLinks(songIds);
  }

  countStale(em: EntityManager, column: FreshnessColumn, cutoff: Date): Promise<number> {
    return songs(em).countStale(column, cutoff);
  }

  /** The next stalest linked songs (see SongRepository.nextStale). */
  nextStale(em: EntityManager, column: FreshnessColumn, cutoff: Date, limit: number): Promise<LinkedSong[]> {
    return songs(em).nextStale(column, cutoff, limit);
  }

  /** Fetches a chunk's Spotify data; nothing is written yet, so a crash here loses nothing. */
  async fetchTracks(linked: LinkedSong[], mode: 'full' | 'popularity'): Promise<FetchedChunk> {
    const tracks = await this.spotify.getTracks(linked.map((s) => s.spotifyTrackId));
    const known = linked.filter((s) => tracks.get(s.spotifyTrackId));
    const gone = linked.filter((s) => !tracks.get(s.spotifyTrackId));
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
    if (chunk.mode === 'full') await songs(em).applySpotifyTracks(chunk.updates);
    else await songs(em).applyPopularity(withPopularity.map((u) => ({ id: u.id, popularity: u.popularity! })));
    await songs(em).markGone(chunk.gone.map((s) => s.id));
    return {
      done: chunk.mode === 'full' ? chunk.updates.length : withPopularity.length,
      gone: chunk.gone,
      popularityMissing: chunk.updates.length > 0 && withPopularity.length === 0,
      audioFeaturesUnavailable: chunk.audioFeaturesUnavailable,
    };
  }

  /** Songs for a page of saved tracks: linked, linked by ISRC, or created (see SongRepository.upsertFromSpotify). */
  upsertFromSpotify(em: EntityManager, tracks: SpotifyTrack[]): Promise<Map<string, string>> {
    return songs(em).upsertFromSpotify(tracks);
  }

  /** Track data already in hand (a saved-tracks page): write it without fetching the tracks again. */
  async writePageTracks(em: EntityManager, items: { songId: string; track: SpotifyTrack }[]): Promise<void> {
    await songs(em).applySpotifyTracks(items.map(({ songId, track }) => toUpdate(songId, track, null, 'full')));
  }

  /** Audio features for tracks whose data comes from elsewhere (extended tier only), keyed by track id. */
  async fetchAudioFeatures(trackIds: string[]): Promise<{ byTrack: Map<string, Record<AudioFeature, number>>; unavailable: string | null }> {
    const byTrack = new Map<string, Record<AudioFeature, number>>();
    if (!trackIds.length) return { byTrack, unavailable: null };
    const result = await this.spotify.getAudioFeatures(trackIds);
    if (!result.available) return { byTrack, unavailable: result.reason };
    for (const id of trackIds) {
      const f = result.features.get(id);
      if (f) byTrack.set(id, roundedFeatures(f));
    }
    return { byTrack, unavailable: null };
  }

  async writeAudioFeatures(em: EntityManager, updates: AudioFeatureUpdate[]): Promise<void> {
    await songs(em).applyAudioFeatures(updates);
  }
}

function roundedFeatures(f: SpotifyAudioFeatures): Record<AudioFeature, number> {
  return Object.fromEntries(AUDIO_FEATURES.map((name) => [name, roundFeature(name, f[name])])) as Record<AudioFeature, number>;
}

function toUpdate(id: string, track: SpotifyTrack, features: SpotifyAudioFeatures | null, mode: 'full' | 'popularity'): SpotifySongUpdate {
  return {
    id,
    popularity: track.popularity,
    previewUrl: mode === 'full' ? track.previewUrl : null,
    externalUrl: mode === 'full' ? track.externalUrl : null,
    isrc: mode === 'full' ? track.isrc : null,
    features: features ? roundedFeatures(features) : null,
  };
}
