import { SandboxTrack } from './catalogue';

/** A parsed `q`: every listed word must match (AND), as on Spotify. */
export interface SearchQuery {
  isrc: string | null;
  trackWords: string[];
  artistWords: string[];
  albumWords: string[];
  freeWords: string[];
}

/** Lowercased words without diacritics, so "Zoë" matches "zoe" as it does on Spotify. */
export function normalizeWords(text: string): string[] {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

const TOKEN = /(\w+):"([^"]*)"|(\w+):(\S+)|"([^"]*)"|(\S+)/g;

/**
 * Supports `isrc:`, `track:`, `artist:`, `album:` (quoted or single word) and free text over
 * track and artist names. Other field filters (year:, genre:, tag:...) are ignored.
 */
export function parseSearchQuery(q: string): SearchQuery {
  const query: SearchQuery = { isrc: null, trackWords: [], artistWords: [], albumWords: [], freeWords: [] };
  for (const match of q.matchAll(TOKEN)) {
    const field = (match[1] ?? match[3])?.toLowerCase();
    const value = match[2] ?? match[4] ?? match[5] ?? match[6];
    if (field === undefined) query.freeWords.push(...normalizeWords(value));
    else if (field === 'isrc') query.isrc = value.toUpperCase();
    else if (field === 'track') query.trackWords.push(...normalizeWords(value));
    else if (field === 'artist') query.artistWords.push(...normalizeWords(value));
    else if (field === 'album') query.albumWords.push(...normalizeWords(value));
  }
  return query;
}

type WordIndex = Map<string, Set<number>>;

/** Word and ISRC indexes over a catalogue; results are ordered by popularity, then catalogue order. */
export class SearchIndex {
  private readonly byName: WordIndex = new Map();
  private readonly byArtist: WordIndex = new Map();
  private readonly byAlbum: WordIndex = new Map();
  private readonly byIsrc: WordIndex = new Map();

  constructor(private readonly tracks: readonly SandboxTrack[]) {
    tracks.forEach((track, i) => {
      addWords(this.byName, normalizeWords(track.name), i);
      addWords(this.byArtist, track.artists.flatMap((artist) => normalizeWords(artist.name)), i);
      addWords(this.byAlbum, normalizeWords(track.album.name), i);
      addWords(this.byIsrc, [track.external_ids.isrc], i);
    });
  }

  search(query: SearchQuery): SandboxTrack[] {
    const constraints: Set<number>[] = [
      ...(query.isrc ? [lookup(this.byIsrc, query.isrc)] : []),
      ...query.trackWords.map((word) => lookup(this.byName, word)),
      ...query.artistWords.map((word) => lookup(this.byArtist, word)),
      ...query.albumWords.map((word) => lookup(this.byAlbum, word)),
      ...query.freeWords.map((word) => union(lookup(this.byName, word), lookup(this.byArtist, word))),
    ];
    if (constraints.length === 0) return [];
    constraints.sort((a, b) => a.size - b.size);
    const [smallest, ...others] = constraints;
    const matches = [...smallest].filter((i) => others.every((set) => set.has(i)));
    matches.sort((a, b) => this.tracks[b].popularity - this.tracks[a].popularity || a - b);
    return matches.map((i) => this.tracks[i]);
  }
}

function lookup(index: WordIndex, word: string): Set<number> {
  return index.get(word) ?? new Set();
}

function union(a: Set<number>, b: Set<number>): Set<number> {
  return new Set([...a, ...b]);
}

function addWords(index: WordIndex, words: string[], trackIndex: number): void {
  for (const word of words) {
    let set = index.get(word);
    if (!set) index.set(word, (set = new Set()));
    set.add(trackIndex);
  }
}
