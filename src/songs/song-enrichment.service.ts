import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Optional } from '@nestjs/common';
import { SpotifyClient } from '../spotify/spotify.client';
import type { SpotifyRateLimitedError } from '../spotify/spotify.errors';
import { isComplete } from '../spotify/spotify.mappers';
import type { AudioFeaturesOutcome, SpotifyAudioFeatures, SpotifyTrack } from '../spotify/spotify.types';
import { AUDIO_FEATURES, AudioFeature, roundFeature, Song } from './song.entity';
import type { FreshnessColumn, LinkedSong, SongRepository, SpotifySongUpdate } from './song.repository';
import { WebhookEvents } from '../webhooks/webhook-events.service';

export type { FreshnessColumn, LinkedSong } from './song.repository';
export { isRowRefusal, refusalReason } from './song.repository';

export interface SongFailure {
  id: string;
  reason: string;
}

/** A chunk's Spotify answers, settled per song; nothing is written yet. */
export interface FetchedChunk {
  mode: 'full' | 'popularity';
  /** songs whose track Spotify gave (`failed` set when their audio features were refused) */
  updates: SpotifySongUpdate[];
  /** songs whose track Spotify answered null/404 for: gone */
  gone: LinkedSong[];
  /** songs whose id (or features id) Spotify refused, with its reason: failed items, backed off */
  refused: SongFailure[];
  audioFeaturesUnavailable: string | null;
  /** songs whose audio features came back with a field missing or unusable: none of them written */
  featuresIncomplete: number;
  /** a rate-limit pause stopped the fetch: these songs are not settled; ask again after the pause */
  interrupted?: { error: SpotifyRateLimitedError; pending: LinkedSong[] };
}

export interface EnrichmentResult {
  /** songs synced without a failure */
  done: number;
  /** songs whose track Spotify no longer knows (flagged, not fetched again until relinked) */
  gone: LinkedSong[];
  /** refused by Spotify or by the database (each backed off), or no popularity where it was asked for */
  failed: SongFailure[];
  /** popularity was asked for but Spotify's answers carried none (development tier) */
  popularityMissing: boolean;
  audioFeaturesUnavailable: string | null;
  featuresIncomplete: number;
}

export interface AudioFeatureUpdate {
  id: string;
  features: Record<AudioFeature, number>;
}

export interface PageAudioFeatures {
  /** complete, rounded features by track id */
  byTrack: Map<string, Record<AudioFeature, number>>;
  /** track ids Spotify refused, with its reason */
  refused: Map<string, string>;
  incomplete: number;
  unavailable: string | null;
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
  constructor(
    private readonly spotify: SpotifyClient,
    @Optional() private readonly events?: WebhookEvents,
  ) {}

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

  /**
   * Fetches a chunk's Spotify data, settling each song as found, gone (unknown to Spotify) or refused
   * (Spotify refused its id: never "gone"). On a rate-limit pause, what was settled before it is kept
   * and the rest is `interrupted.pending`. A song counts as settled only once its track and, in full
   * mode, its audio features are. Nothing is written yet, so a crash here loses nothing.
   */
  async fetchTracks(linked: LinkedSong[], mode: 'full' | 'popularity'): Promise<FetchedChunk> {
    const chunk: FetchedChunk = { mode, updates: [], gone: [], refused: [], audioFeaturesUnavailable: null, featuresIncomplete: 0 };
    if (!linked.length) return chunk;
    const tracks = await this.spotify.getTrackOutcomes(
      linked.map((s) => s.spotifyTrackId),
      { keepPartialOnRateLimit: true },
    );
    const pending = new Set(tracks.interrupted?.pending ?? []);
    let pause = tracks.interrupted?.error;
    const found = linked.filter((s) => tracks.found.has(s.spotifyTrackId));
    let features: AudioFeaturesOutcome | null = null;
    if (mode === 'full' && found.length) {
      // Also under a pause: where the tier has no audio features this sends nothing and the found
      // tracks are kept; where it has them, the shared pause refuses at once (no request) and the
      // found songs wait for the pause with their features.
      features = await this.spotify.getAudioFeatureOutcomes(
        found.map((s) => s.spotifyTrackId),
        { keepPartialOnRateLimit: true },
      );
      if (!features.available) chunk.audioFeaturesUnavailable = features.reason;
      else if (features.interrupted) {
        pause ??= features.interrupted.error;
        for (const id of features.interrupted.pending) pending.add(id);
      }
    }
    const interruptedSongs: LinkedSong[] = [];
    for (const song of linked) {
      const id = song.spotifyTrackId;
      if (pending.has(id)) {
        interruptedSongs.push(song);
        continue;
      }
      const refusal = tracks.refused.get(id);
      if (refusal !== undefined) {
        chunk.refused.push({ id: song.id, reason: `${refusal} (track ${id})` });
        continue;
      }
      const track = tracks.found.get(id);
      if (!track) {
        chunk.gone.push(song);
        continue;
      }
      let values: Record<AudioFeature, number> | null = null;
      let failed = false;
      if (features?.available) {
        const featureRefusal = features.refused.get(id);
        const f = features.found.get(id);
        if (featureRefusal !== undefined) {
          failed = true;
          chunk.refused.push({ id: song.id, reason: `Audio features: ${featureRefusal} (track ${id})` });
        } else if (f && isComplete(f)) values = roundedFeatures(f);
        else if (f) chunk.featuresIncomplete += 1;
      }
      chunk.updates.push({ ...toUpdate(song.id, track, values, mode), failed });
    }
    if (pause && interruptedSongs.length) chunk.interrupted = { error: pause, pending: interruptedSongs };
    return chunk;
  }

  /**
   * Writes a fetched chunk (inside the caller's transaction): the found songs (a row the database
   * refuses is set apart, never the chunk's failure), the gone flags, and the failures' back-off.
   */
  async writeTracks(em: EntityManager, chunk: FetchedChunk): Promise<EnrichmentResult> {
    const repo = songs(em);
    const failed: SongFailure[] = [...chunk.refused];
    let done: number;
    let popularityMissing = false;
    if (chunk.mode === 'full') {
      const rejected = await repo.applySpotifyTracksIsolating(chunk.updates);
      const already = new Set(failed.map((f) => f.id));
      failed.push(...rejected.filter((r) => !already.has(r.id))); // one failed item per song
      const rejectedIds = new Set(rejected.map((r) => r.id));
      done = chunk.updates.filter((u) => !u.failed && !rejectedIds.has(u.id)).length;
    } else {
      const withPopularity = chunk.updates.filter((u) => u.popularity !== null);
      popularityMissing = chunk.updates.length > 0 && withPopularity.length === 0;
      if (popularityMissing) return { done: 0, gone: [], failed: [], popularityMissing, audioFeaturesUnavailable: null, featuresIncomplete: 0 };
      await repo.applyPopularity(withPopularity.map((u) => ({ id: u.id, popularity: u.popularity! })));
      failed.push(
        ...chunk.updates.filter((u) => u.popularity === null).map((u) => ({ id: u.id, reason: 'Spotify gave no usable popularity for this track' })),
      );
      done = withPopularity.length;
    }
    // announced in the chunk's transaction: the event exists exactly when the flag does
    for (const song of await repo.markGone(chunk.gone.map((s) => s.id))) await this.events?.record(em, 'song.spotify_gone', song);
    await repo.recordSyncFailures(failed);
    return { done, gone: chunk.gone, failed, popularityMissing, audioFeaturesUnavailable: chunk.audioFeaturesUnavailable, featuresIncomplete: chunk.featuresIncomplete };
  }

  /** Songs for a page of saved tracks: linked, linked by ISRC, or created (see SongRepository.upsertFromSpotify). */
  upsertFromSpotify(em: EntityManager, tracks: SpotifyTrack[]): Promise<Map<string, string>> {
    return songs(em).upsertFromSpotify(tracks);
  }

  /** Track data already in hand (a saved-tracks page): write it without fetching the tracks again. */
  async writePageTracks(em: EntityManager, items: { songId: string; track: SpotifyTrack }[]): Promise<void> {
    await songs(em).applySpotifyTracks(items.map(({ songId, track }) => toUpdate(songId, track, null, 'full')));
  }

  /**
   * Audio features for tracks whose data comes from elsewhere (a saved-tracks page), by track id:
   * complete records only (a missing field is never written as 0), refused ids apart.
   */
  async fetchAudioFeatures(trackIds: string[]): Promise<PageAudioFeatures> {
    const result: PageAudioFeatures = { byTrack: new Map(), refused: new Map(), incomplete: 0, unavailable: null };
    if (!trackIds.length) return result;
    const outcome = await this.spotify.getAudioFeatureOutcomes(trackIds);
    if (!outcome.available) return { ...result, unavailable: outcome.reason };
    for (const [id, reason] of outcome.refused) result.refused.set(id, reason);
    for (const id of trackIds) {
      const f = outcome.found.get(id);
      if (f && isComplete(f)) result.byTrack.set(id, roundedFeatures(f));
      else if (f) result.incomplete += 1;
    }
    return result;
  }

  /** Songs whose sync failed: counted and backed off (see sync-backoff.ts). */
  recordSyncFailures(em: EntityManager, failures: SongFailure[]): Promise<void> {
    return songs(em).recordSyncFailures(failures);
  }

  async writeAudioFeatures(em: EntityManager, updates: AudioFeatureUpdate[]): Promise<void> {
    await songs(em).applyAudioFeatures(updates);
  }
}

function roundedFeatures(f: SpotifyAudioFeatures): Record<AudioFeature, number> {
  return Object.fromEntries(AUDIO_FEATURES.map((name) => [name, roundFeature(name, f[name])])) as Record<AudioFeature, number>;
}

function toUpdate(id: string, track: SpotifyTrack, features: Record<AudioFeature, number> | null, mode: 'full' | 'popularity'): SpotifySongUpdate {
  return {
    id,
    popularity: track.popularity,
    previewUrl: mode === 'full' ? track.previewUrl : null,
    externalUrl: mode === 'full' ? track.externalUrl : null,
    isrc: mode === 'full' ? track.isrc : null,
    features,
  };
}
