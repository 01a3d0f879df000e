import { AsyncLocalStorage } from 'node:async_hooks';

/** `interactive`: a caller named the song(s) or the user and is waiting. `bulk`: schedules and sweeps. */
export type SpotifyPriority = 'interactive' | 'bulk';

const storage = new AsyncLocalStorage<SpotifyPriority>();

/**
 * Runs `fn` with every Spotify request it makes (however deep, across awaits) taking permits at
 * `priority`. The job runner wraps a job's handler in this; HTTP routes need nothing, since work
 * outside any scope is `interactive`.
 */
export function withSpotifyPriority<T>(priority: SpotifyPriority, fn: () => T): T {
  return storage.run(priority, fn);
}

export function currentSpotifyPriority(): SpotifyPriority {
  return storage.getStore() ?? 'interactive';
}
