import {
  hashSeed,
  mulberry32,
  pick,
  Random,
  randomDigits,
  randomFloat3,
  randomHex,
  randomInt,
  randomSpotifyId,
  randomUpperAlnum,
  round3,
} from './random';
import {
  ADJECTIVES,
  BAND_NOUNS,
  FIRST_NAMES,
  ISRC_COUNTRIES,
  LAST_NAMES,
  LIVE_VENUES,
  NOUNS,
  TITLE_PHRASES,
} from './words';

export type VariantKind = 'live' | 'live-at' | 'sped-up' | 'karaoke' | 'remastered' | 'single';
export const VARIANT_KINDS: readonly VariantKind[] = ['live', 'live-at', 'sped-up', 'karaoke', 'remastered', 'single'];

export interface SandboxArtist {
  id: string;
  name: string;
}

export interface SandboxAlbum {
  id: string;
  name: string;
  album_type: 'album' | 'single';
  release_date: string;
  total_tracks: number;
  artists: SandboxArtist[];
}

export interface SandboxAudioFeatures {
  danceability: number;
  energy: number;
  valence: number;
  acousticness: number;
  instrumentalness: number;
  speechiness: number;
  liveness: number;
  loudness: number;
  tempo: number;
  key: number;
  mode: number;
  time_signature: number;
}

/**
 * One track as the extended tier sees it (field names as in Spotify's JSON). The server renders
 * it per tier; `audio_features` and `variant` are sandbox-only and never sent as part of a track.
 */
export interface SandboxTrack {
  id: string;
  name: string;
  artists: SandboxArtist[];
  album: SandboxAlbum;
  duration_ms: number;
  explicit: boolean;
  track_number: number;
  popularity: number;
  preview_url: string | null;
  external_ids: { isrc: string };
  external_urls: { spotify: string };
  audio_features: SandboxAudioFeatures;
  /** Set on the deliberately tricky versions (live, sped up, same-ISRC single...) of another track. */
  variant: { kind: VariantKind; of: string } | null;
}

const LATEST_YEAR = 2025;
const MIN_DURATION_MS = 90_000;
const MAX_DURATION_MS = 420_000;

/**
 * Deterministic fake catalogue: the same seed and size always give the same tracks.
 * Every tenth original gets one to three tricky variants; the second original gets all of them,
 * so even a tiny catalogue has one of each.
 */
export function generateCatalogue(seed = 42, size = 10_000): SandboxTrack[] {
  const builder = new CatalogueBuilder(seed, artistCountFor(size));
  const tracks: SandboxTrack[] = [];
  for (let n = 0; tracks.length < size; n++) {
    const original = builder.original();
    tracks.push(original);
    for (const kind of builder.variantKindsFor(n)) tracks.push(builder.variant(original, kind));
  }
  return tracks.slice(0, size);
}

function artistCountFor(size: number): number {
  return Math.min(400, Math.max(20, Math.round(size / 30)));
}

class CatalogueBuilder {
  private readonly rand: Random;
  private readonly usedIds = new Set<string>();
  private readonly usedIsrcs = new Set<string>();
  private readonly artists: SandboxArtist[];
  private readonly isrcPrefixes = new Map<string, string>();
  private readonly albumsByArtist = new Map<string, SandboxAlbum[]>();

  constructor(seed: number, artistCount: number) {
    this.rand = mulberry32(seed);
    this.artists = this.generateArtists(artistCount);
  }

  original(): SandboxTrack {
    const rand = this.rand;
    // Squaring skews the pick so a few artists have many tracks, like a real catalogue.
    const primary = this.artists[Math.floor(rand() ** 2 * this.artists.length)];
    const album = pick(rand, this.albumsByArtist.get(primary.id)!);
    album.total_tracks += 1;
    const duration = MIN_DURATION_MS + Math.round(((rand() + rand()) / 2) * (MAX_DURATION_MS - MIN_DURATION_MS));
    return this.track({
      name: this.title(),
      artists: [primary, ...this.featuredArtists(primary)],
      album,
      duration_ms: duration,
      explicit: rand() < 0.15,
      track_number: album.total_tracks,
      isrc: this.isrc(primary, album.release_date),
      audio_features: this.audioFeatures(),
      variant: null,
    });
  }

  variantKindsFor(originalIndex: number): VariantKind[] {
    if (originalIndex === 1) return [...VARIANT_KINDS];
    if (originalIndex % 10 !== 1) return [];
    const kinds = [...VARIANT_KINDS];
    const count = randomInt(this.rand, 1, 3);
    // Partial Fisher-Yates: the first `count` entries become a random distinct selection.
    for (let i = 0; i < count; i++) {
      const j = randomInt(this.rand, i, kinds.length - 1);
      [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
    }
    return kinds.slice(0, count);
  }

  variant(original: SandboxTrack, kind: VariantKind): SandboxTrack {
    const rand = this.rand;
    const title = original.name;
    const year = Number(original.album.release_date.slice(0, 4));
    const features = { ...original.audio_features };
    const base = {
      artists: original.artists,
      explicit: original.explicit,
      track_number: 1,
      variant: { kind, of: original.id },
      audio_features: features,
    };
    const newIsrc = (releaseDate: string) => this.isrc(original.artists[0], releaseDate);

    switch (kind) {
      case 'live': {
        const album = this.album(original.artists, `${original.album.name} (Live)`, 'album', laterYear(rand, year));
        features.liveness = randomFloat3(rand, 0.7, 0.98);
        const duration = original.duration_ms + randomInt(rand, 5_000, 40_000);
        return this.track({ ...base, name: `${title} - Live`, album, duration_ms: duration, isrc: newIsrc(album.release_date) });
      }
      case 'live-at': {
        const venue = pick(rand, LIVE_VENUES);
        const album = this.album(original.artists, `Live at ${venue}`, 'album', laterYear(rand, year));
        features.liveness = randomFloat3(rand, 0.7, 0.98);
        const duration = original.duration_ms + randomInt(rand, 5_000, 60_000);
        return this.track({ ...base, name: `${title} (Live at ${venue})`, album, duration_ms: duration, isrc: newIsrc(album.release_date) });
      }
      case 'sped-up': {
        const album = this.album(original.artists, `${title} (Sped Up)`, 'single', randomInt(rand, 2022, LATEST_YEAR));
        features.tempo = round3(features.tempo * 1.25);
        const duration = Math.round(original.duration_ms * 0.8);
        return this.track({ ...base, name: `${title} - Sped Up`, album, duration_ms: duration, isrc: newIsrc(album.release_date) });
      }
      case 'karaoke': {
        const album = this.album(original.artists, `${title} (Karaoke Version)`, 'single', laterYear(rand, year));
        features.instrumentalness = randomFloat3(rand, 0.8, 0.99);
        features.speechiness = randomFloat3(rand, 0.025, 0.05);
        return this.track({ ...base, name: `${title} (Karaoke Version)`, album, duration_ms: original.duration_ms, isrc: newIsrc(album.release_date) });
      }
      case 'remastered': {
        const remasterYear = Math.min(LATEST_YEAR, Math.max(2009, year + 10));
        const album = this.album(original.artists, `${original.album.name} (Remastered ${remasterYear})`, 'album', remasterYear);
        features.loudness = round3(Math.min(0, features.loudness + 2));
        const duration = original.duration_ms + randomInt(rand, -1_000, 1_000);
        return this.track({ ...base, name: `${title} - Remastered ${remasterYear}`, album, duration_ms: duration, isrc: newIsrc(album.release_date) });
      }
      case 'single': {
        // The single and the album version are the same recording: same ISRC, different track ids.
        const album = this.album(original.artists, title, 'single', year);
        return this.track({ ...base, name: title, album, duration_ms: original.duration_ms, isrc: original.external_ids.isrc });
      }
    }
  }

  private track(fields: Omit<SandboxTrack, 'id' | 'popularity' | 'preview_url' | 'external_ids' | 'external_urls'> & { isrc: string }): SandboxTrack {
    const { isrc, ...rest } = fields;
    const id = this.uniqueId();
    return {
      ...rest,
      id,
      duration_ms: Math.min(MAX_DURATION_MS, Math.max(MIN_DURATION_MS, fields.duration_ms)),
      popularity: Math.round(100 * this.rand() ** 1.5),
      preview_url: this.rand() < 0.5 ? `https://p.scdn.co/mp3-preview/${randomHex(this.rand, 40)}` : null,
      external_ids: { isrc },
      external_urls: { spotify: `https://open.spotify.com/track/${id}` },
    };
  }

  private generateArtists(count: number): SandboxArtist[] {
    const names = new Set<string>();
    const artists: SandboxArtist[] = [];
    while (artists.length < count) {
      const name = this.artistName();
      if (names.has(name)) continue;
      names.add(name);
      const artist = { id: this.uniqueId(), name };
      artists.push(artist);
      this.isrcPrefixes.set(artist.id, pick(this.rand, ISRC_COUNTRIES) + randomUpperAlnum(this.rand, 3));
      const albums = Array.from({ length: randomInt(this.rand, 1, 4) }, () =>
        this.album([artist], this.title(), 'album', randomInt(this.rand, 1965, LATEST_YEAR), 0),
      );
      this.albumsByArtist.set(artist.id, albums);
    }
    return artists;
  }

  private artistName(): string {
    const rand = this.rand;
    switch (randomInt(rand, 0, 4)) {
      case 0:
      case 1:
        return `${pick(rand, FIRST_NAMES)} ${pick(rand, LAST_NAMES)}`;
      case 2:
        return `The ${pick(rand, ADJECTIVES)} ${pick(rand, BAND_NOUNS)}`;
      case 3:
        return `${pick(rand, FIRST_NAMES)} & the ${pick(rand, BAND_NOUNS)}`;
      default:
        return `${pick(rand, ADJECTIVES)} ${pick(rand, NOUNS)}`;
    }
  }

  private title(): string {
    const rand = this.rand;
    switch (randomInt(rand, 0, 5)) {
      case 0:
      case 1:
        return `${pick(rand, ADJECTIVES)} ${pick(rand, NOUNS)}`;
      case 2:
        return pick(rand, NOUNS);
      case 3:
        return `${pick(rand, NOUNS)} of the ${pick(rand, NOUNS)}`;
      case 4:
        return pick(rand, TITLE_PHRASES);
      default:
        return `The ${pick(rand, ADJECTIVES)} ${pick(rand, NOUNS)}`;
    }
  }

  private featuredArtists(primary: SandboxArtist): SandboxArtist[] {
    const roll = this.rand();
    const count = roll < 0.08 ? 2 : roll < 0.3 ? 1 : 0;
    const featured: SandboxArtist[] = [];
    while (featured.length < count) {
      const artist = pick(this.rand, this.artists);
      if (artist !== primary && !featured.includes(artist)) featured.push(artist);
    }
    return featured;
  }

  /** Variants get an album of their own (one track); artists' albums count their tracks as they are drawn. */
  private album(artists: SandboxArtist[], name: string, type: 'album' | 'single', year: number, totalTracks = 1): SandboxAlbum {
    const month = String(randomInt(this.rand, 1, 12)).padStart(2, '0');
    const day = String(randomInt(this.rand, 1, 28)).padStart(2, '0');
    return { id: this.uniqueId(), name, album_type: type, release_date: `${year}-${month}-${day}`, total_tracks: totalTracks, artists };
  }

  /** ISRC `CCXXXYYNNNNN`: the artist's country + registrant, the year, a designation number. */
  private isrc(artist: SandboxArtist, releaseDate: string): string {
    const prefix = this.isrcPrefixes.get(artist.id)! + releaseDate.slice(2, 4);
    for (;;) {
      const isrc = prefix + randomDigits(this.rand, 5);
      if (!this.usedIsrcs.has(isrc)) {
        this.usedIsrcs.add(isrc);
        return isrc;
      }
    }
  }

  private uniqueId(): string {
    for (;;) {
      const id = randomSpotifyId(this.rand);
      if (!this.usedIds.has(id)) {
        this.usedIds.add(id);
        return id;
      }
    }
  }

  private audioFeatures(): SandboxAudioFeatures {
    const rand = this.rand;
    return {
      danceability: randomFloat3(rand, 0.1, 0.98),
      energy: randomFloat3(rand, 0.02, 1),
      valence: randomFloat3(rand),
      acousticness: round3(rand() ** 2),
      instrumentalness: rand() < 0.7 ? randomFloat3(rand, 0, 0.01) : randomFloat3(rand),
      speechiness: randomFloat3(rand, 0.022, 0.45),
      liveness: randomFloat3(rand, 0.02, 0.6),
      // Most masters sit between -25 and -2 dB; a few quiet recordings go down to -60.
      loudness: rand() < 0.05 ? randomFloat3(rand, -60, -25) : randomFloat3(rand, -25, -1.5),
      tempo: randomFloat3(rand, 60, 200),
      key: randomInt(rand, 0, 11),
      mode: rand() < 0.6 ? 1 : 0,
      time_signature: rand() < 0.9 ? 4 : pick(rand, [3, 5]),
    };
  }
}

function laterYear(rand: Random, year: number): number {
  return Math.min(LATEST_YEAR, year + randomInt(rand, 1, 10));
}

export interface CatalogueIndex {
  byId: ReadonlyMap<string, SandboxTrack>;
  byIsrc: ReadonlyMap<string, SandboxTrack[]>;
}

// Indexes are cached per catalogue array; catalogues are never mutated after generation.
const indexes = new WeakMap<readonly SandboxTrack[], CatalogueIndex>();

export function indexCatalogue(tracks: readonly SandboxTrack[]): CatalogueIndex {
  let index = indexes.get(tracks);
  if (!index) {
    const byId = new Map<string, SandboxTrack>();
    const byIsrc = new Map<string, SandboxTrack[]>();
    for (const track of tracks) {
      byId.set(track.id, track);
      const isrc = track.external_ids.isrc;
      const sameIsrc = byIsrc.get(isrc);
      if (sameIsrc) sameIsrc.push(track);
      else byIsrc.set(isrc, [track]);
    }
    index = { byId, byIsrc };
    indexes.set(tracks, index);
  }
  return index;
}

export function findTrackById(tracks: readonly SandboxTrack[], id: string): SandboxTrack | undefined {
  return indexCatalogue(tracks).byId.get(id);
}

/** ISRCs are not unique: an album version and its single share one. */
export function findTracksByIsrc(tracks: readonly SandboxTrack[], isrc: string): SandboxTrack[] {
  return indexCatalogue(tracks).byIsrc.get(isrc.toUpperCase()) ?? [];
}

/** The tricky versions (live, sped up, karaoke, remastered, same-ISRC single) of an original. */
export function findVariants(tracks: readonly SandboxTrack[], originalId: string): SandboxTrack[] {
  return tracks.filter((track) => track.variant?.of === originalId);
}

/** A user's default saved tracks: a deterministic draw from the catalogue, seeded by the user id. */
export function defaultLibraryTrackIds(tracks: readonly SandboxTrack[], userId: string, seed: number, size = 120): string[] {
  const rand = mulberry32(hashSeed(userId, seed));
  const chosen = new Set<string>();
  const wanted = Math.min(size, tracks.length);
  while (chosen.size < wanted) chosen.add(tracks[Math.floor(rand() * tracks.length)].id);
  return [...chosen];
}
