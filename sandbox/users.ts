import { defaultLibraryTrackIds, SandboxTrack } from './catalogue';

export const DEFAULT_USER = 'sandbox-user-1';
/** Spotify's development-mode cap on users per client id (Feb 2026). */
export const DEV_MODE_USER_LIMIT = 5;

export interface SavedTrack {
  trackId: string;
  /** ISO time without milliseconds, as Spotify writes `added_at`. */
  addedAt: string;
}

export interface SandboxUserView {
  id: string;
  displayName: string;
  /** Epoch ms of each consent at /authorize, oldest first. */
  consents: number[];
  savedTrackIds: string[];
}

// Default libraries look as if saved over the months before this date, newest first.
const DEFAULT_LIBRARY_NEWEST = Date.UTC(2026, 9, 1, 12);
const DEFAULT_LIBRARY_SPACING_MS = 36 * 3600 * 1000;

/** Per-user state that is not a token: saved tracks and consents. Any user id is a valid user. */
export class SandboxUsers {
  private readonly libraries = new Map<string, SavedTrack[]>();
  private readonly consents = new Map<string, number[]>();

  constructor(
    private readonly catalogue: readonly SandboxTrack[],
    private readonly seed: number,
  ) {}

  /** Saved tracks, newest first; a user nobody configured gets a deterministic default library. */
  library(userId: string): SavedTrack[] {
    let library = this.libraries.get(userId);
    if (!library) {
      library = defaultLibraryTrackIds(this.catalogue, userId, this.seed).map((trackId, i) => ({
        trackId,
        addedAt: spotifyTime(DEFAULT_LIBRARY_NEWEST - i * DEFAULT_LIBRARY_SPACING_MS),
      }));
      this.libraries.set(userId, library);
    }
    return library;
  }

  /** Replaces the library; `trackIds` are newest first. */
  setLibrary(userId: string, trackIds: string[], now = Date.now()): void {
    const unique = [...new Set(trackIds)];
    this.libraries.set(userId, unique.map((trackId, i) => ({ trackId, addedAt: spotifyTime(now - i * 1000) })));
  }

  /** Saves tracks now, on top of the library, like a user tapping "like"; already saved ones stay put. */
  save(userId: string, trackIds: string[], now = Date.now()): void {
    const library = this.library(userId);
    const saved = new Set(library.map((item) => item.trackId));
    const added = [...new Set(trackIds)].filter((id) => !saved.has(id)).map((trackId) => ({ trackId, addedAt: spotifyTime(now) }));
    this.libraries.set(userId, [...added, ...library]);
  }

  unsave(userId: string, trackIds: string[]): void {
    const removed = new Set(trackIds);
    this.libraries.set(userId, this.library(userId).filter((item) => !removed.has(item.trackId)));
  }

  recordConsent(userId: string, at: number): void {
    this.consents.set(userId, [...(this.consents.get(userId) ?? []), at]);
  }

  /** Development tier: the admin list if set, else the first five users who ever consented. */
  isAllowedInDevMode(userId: string, allowList: string[] | null): boolean {
    const allowed = allowList ?? [...this.consents.keys()].slice(0, DEV_MODE_USER_LIMIT);
    return allowed.includes(userId);
  }

  view(userId: string): SandboxUserView {
    return {
      id: userId,
      displayName: displayName(userId),
      consents: this.consents.get(userId) ?? [],
      savedTrackIds: this.library(userId).map((item) => item.trackId),
    };
  }
}

/** "sandbox-user-1" → "Sandbox User 1". */
export function displayName(userId: string): string {
  return userId
    .split(/[-_.]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join(' ');
}

function spotifyTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
