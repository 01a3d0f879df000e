/**
 * Where a run over a list of named songs stands: `position` is the start of the current window, and
 * `settled` the ids at or after it that are already done or failed (settled before a pause, with
 * the rest of their window still to ask). Pure, so the rules are unit-tested.
 */
export interface NamedPosition {
  position: number;
  settled: string[];
}

/** The ids of the window at `position` still to process. */
export function windowToProcess(songIds: readonly string[], at: NamedPosition, limit: number): { window: string[]; todo: string[] } {
  const window = songIds.slice(at.position, at.position + limit);
  const done = new Set(at.settled);
  return { window, todo: window.filter((id) => !done.has(id)) };
}

/**
 * After a chunk of `window` committed with `settledNow`: the position moves past the window once
 * every id of it is settled, keeping only settled ids that lie beyond it; else it stays, and the
 * window's settled ids are remembered so they are not asked for again.
 */
export function advance(songIds: readonly string[], at: NamedPosition, window: readonly string[], settledNow: readonly string[]): NamedPosition {
  const all = new Set([...at.settled, ...settledNow]);
  if (window.every((id) => all.has(id))) {
    const position = at.position + window.length;
    const ahead = new Set(songIds.slice(position));
    return { position, settled: [...all].filter((id) => ahead.has(id)) };
  }
  return { position: at.position, settled: [...all] };
}
