import type { SpotifyTrack } from './spotify.types';

/** What the matcher needs to know about a song of ours. */
export interface MatchableSong {
  title: string;
  artist: string;
  durationMs?: number | null;
  isrc?: string | null;
}

/** The two searches the matcher uses; SpotifyClient provides them. */
export interface TrackSearch {
  searchByIsrc(isrc: string): Promise<SpotifyTrack[]>;
  searchTracks(query: string, options?: { limit?: number }): Promise<SpotifyTrack[]>;
}

export type MatchFailure = 'no_candidate' | 'only_excluded_versions' | 'duration_mismatch' | 'no_close_match';

export type MatchResult =
  | { matched: true; track: SpotifyTrack; via: 'isrc' | 'search'; score: number }
  | { matched: false; reason: MatchFailure; detail: string };

export const DURATION_TOLERANCE_MS = 3_000;
const MIN_TITLE_SCORE = 0.8;
const MIN_ARTIST_SCORE = 0.6;
// An ISRC names the recording, so names only need to agree loosely (guards against a wrong ISRC on our side).
const MIN_ISRC_NAME_SCORE = 0.5;
const SEARCH_LIMIT = 20;

type VersionKind = 'live' | 'karaoke' | 'sped-up' | 'remix';

// Live is only a version when it is in the version part ("Song - Live", "Song (Live at X)"): "Live Forever" is a title.
const VERSION_MARKERS: Record<VersionKind, RegExp> = {
  live: /(?:\s[-–—]\s|[([])[^)\]]*\blive\b/i,
  karaoke: /\bkaraoke\b|originally performed by|in the style of/i,
  'sped-up': /\bsped[\s-]?up\b|\bnightcore\b|(?:\s[-–—]\s|[([])[^)\]]*\b(?:speed[\s-]?up|slowed)\b/i,
  remix: /\bremix(?:ed)?\b|\brmx\b/i,
};

/**
 * Finds the Spotify track for a song: ISRC search first, then a title + artist search.
 * Candidates are scored on name, artists and duration (±3 s); live, karaoke, sped-up and remix
 * versions are refused unless the song's own title says it is one.
 */
export async function matchTrack(song: MatchableSong, search: TrackSearch): Promise<MatchResult> {
  const outcomes: MatchResult[] = [];
  const isrc = song.isrc?.trim().toUpperCase();
  if (isrc) {
    const byIsrc = await search.searchByIsrc(isrc);
    const outcome = pickBestCandidate(song, byIsrc, 'isrc');
    if (outcome.matched) return outcome;
    outcomes.push(outcome);
  }
  const title = baseTitle(song.title);
  const artist = mainArtist(song.artist);
  let candidates = await search.searchTracks(`track:"${unquote(title)}" artist:"${unquote(artist)}"`, { limit: SEARCH_LIMIT });
  if (candidates.length === 0) {
    // Field filters are strict about spelling; free text is more forgiving, and scoring still decides.
    candidates = await search.searchTracks(`${unquote(title)} ${unquote(artist)}`, { limit: SEARCH_LIMIT });
  }
  const outcome = pickBestCandidate(song, candidates, 'search');
  if (outcome.matched) return outcome;
  outcomes.push(outcome);
  // Report the most telling reason across both searches (the title search's on a tie).
  return outcomes.reduce((best, next) => (FAILURE_RANK[failure(next)] >= FAILURE_RANK[failure(best)] ? next : best));
}

const FAILURE_RANK: Record<MatchFailure, number> = {
  no_candidate: 0,
  no_close_match: 1,
  only_excluded_versions: 2,
  duration_mismatch: 3,
};
const failure = (result: MatchResult): MatchFailure => (result.matched ? 'no_candidate' : result.reason);

/** Pure: the best acceptable candidate, or why there is none. */
export function pickBestCandidate(song: MatchableSong, candidates: readonly SpotifyTrack[], via: 'isrc' | 'search'): MatchResult {
  if (candidates.length === 0) {
    return { matched: false, reason: 'no_candidate', detail: via === 'isrc' ? 'no track with this ISRC' : 'the search found nothing' };
  }
  const allowed = new Set((Object.keys(VERSION_MARKERS) as VersionKind[]).filter((kind) => versionKinds(song.title).includes(kind)));
  const minName = via === 'isrc' ? MIN_ISRC_NAME_SCORE : MIN_TITLE_SCORE;
  const minArtist = via === 'isrc' ? MIN_ISRC_NAME_SCORE : MIN_ARTIST_SCORE;
  const excludedKinds = new Set<VersionKind>();
  let durationMisses = 0;
  let best: { track: SpotifyTrack; score: number } | null = null;

  for (const track of candidates) {
    const title = titleScore(song.title, track.name);
    const artist = artistScore(song.artist, track.artists.map((a) => a.name));
    if (title < minName || artist < minArtist) continue;
    const refused = versionKinds(track.name).filter((kind) => !allowed.has(kind));
    if (refused.length > 0) {
      refused.forEach((kind) => excludedKinds.add(kind));
      continue;
    }
    const gap = song.durationMs && track.durationMs ? Math.abs(song.durationMs - track.durationMs) : null;
    if (gap !== null && gap > DURATION_TOLERANCE_MS) {
      durationMisses += 1;
      continue;
    }
    // Duration closeness breaks ties between equally named versions (album vs single).
    const closeness = gap === null ? 0.5 : 1 - gap / DURATION_TOLERANCE_MS;
    const isrcBonus = song.isrc && track.isrc === song.isrc.trim().toUpperCase() ? 0.1 : 0;
    const score = round(0.45 * title + 0.35 * artist + 0.1 * closeness + isrcBonus);
    if (!best || score > best.score) best = { track, score };
  }

  if (best) return { matched: true, track: best.track, via, score: best.score };
  if (durationMisses > 0) {
    return {
      matched: false,
      reason: 'duration_mismatch',
      detail: `${durationMisses} candidate(s) match title and artist but differ in duration by more than ${DURATION_TOLERANCE_MS / 1000} s`,
    };
  }
  if (excludedKinds.size > 0) {
    return { matched: false, reason: 'only_excluded_versions', detail: `only ${[...excludedKinds].join(', ')} versions found` };
  }
  return { matched: false, reason: 'no_close_match', detail: `${candidates.length} candidate(s), none close in title and artist` };
}

/** Which special versions a title announces. */
export function versionKinds(title: string): VersionKind[] {
  return (Object.keys(VERSION_MARKERS) as VersionKind[]).filter((kind) => VERSION_MARKERS[kind].test(title));
}

/** Title agreement from 0 to 1, on whole titles and on titles without their version part. */
export function titleScore(ours: string, theirs: string): number {
  return Math.max(dice(words(ours), words(theirs)), dice(words(baseTitle(ours)), words(baseTitle(theirs))));
}

/** Artist agreement from 0 to 1: against one credited artist, or against all of them together (features). */
export function artistScore(ours: string, theirs: readonly string[]): number {
  const mine = words(ours).filter((word) => !FEATURE_WORDS.has(word));
  const single = theirs.map((name) => dice(mine, words(name)));
  return Math.max(0, ...single, dice(mine, theirs.flatMap(words)));
}

const FEATURE_WORDS = new Set(['feat', 'ft', 'featuring', 'with']);

/** "Song - Remastered 2011" / "Song (feat. X)" → "Song". */
function baseTitle(title: string): string {
  const base = title
    .replace(/\s*[([][^)\]]*[)\]]/g, '')
    .replace(/\s[-–—]\s.*$/, '')
    .trim();
  return base || title.trim();
}

/** "A feat. B" → "A"; keeps names such as "Ada & the Wolves" whole. */
function mainArtist(artist: string): string {
  return artist.split(/\s+(?:feat\.?|ft\.?|featuring|with)\s+/i)[0].trim() || artist.trim();
}

function words(text: string): string[] {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** Sørensen–Dice over word multisets: 1 for the same words, 0 for none shared. */
function dice(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const word of a) counts.set(word, (counts.get(word) ?? 0) + 1);
  let shared = 0;
  for (const word of b) {
    const n = counts.get(word) ?? 0;
    if (n > 0) {
      shared += 1;
      counts.set(word, n - 1);
    }
  }
  return (2 * shared) / (a.length + b.length);
}

function unquote(text: string): string {
  return text.replace(/"/g, '');
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
