import { SpotifyTrack } from './spotify.types';
import { artistScore, matchTrack, MatchableSong, pickBestCandidate, TrackSearch, versionKinds } from './track-matcher';

let nextId = 0;
function track(name: string, artists: string[], durationMs: number, isrc: string | null = null): SpotifyTrack {
  nextId += 1;
  return {
    id: `id${String(nextId).padStart(20, '0')}`,
    name,
    artists: artists.map((artist, i) => ({ id: `artist${i}`, name: artist })),
    album: { id: 'album', name: 'Album', releaseDate: '2020-01-01' },
    durationMs,
    isrc,
    popularity: null,
    previewUrl: null,
    externalUrl: null,
  };
}

/** A fake search: answers by ISRC and by query, and remembers the queries. */
function searchOf(byIsrc: Record<string, SpotifyTrack[]>, byQuery: (q: string) => SpotifyTrack[]): TrackSearch & { queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    searchByIsrc: async (isrc) => {
      queries.push(`isrc:${isrc}`);
      return byIsrc[isrc] ?? [];
    },
    searchTracks: async (q) => {
      queries.push(q);
      return byQuery(q);
    },
  };
}

const song: MatchableSong = { title: 'Golden Harbour', artist: 'Ada Vance', durationMs: 200_000, isrc: 'SEABC2000001' };

describe('matchTrack', () => {
  it('takes the ISRC hit first and never searches by title then', async () => {
    const studio = track('Golden Harbour', ['Ada Vance'], 200_500, 'SEABC2000001');
    const search = searchOf({ SEABC2000001: [studio] }, () => []);
    await expect(matchTrack(song, search)).resolves.toMatchObject({ matched: true, via: 'isrc', track: studio });
    expect(search.queries).toEqual(['isrc:SEABC2000001']);
  });

  it('prefers the closer duration when an album version and its single share an ISRC', async () => {
    const single = track('Golden Harbour', ['Ada Vance'], 202_900, 'SEABC2000001');
    const album = track('Golden Harbour', ['Ada Vance'], 200_100, 'SEABC2000001');
    const result = await matchTrack(song, searchOf({ SEABC2000001: [single, album] }, () => []));
    expect(result).toMatchObject({ matched: true, track: album });
  });

  it('ignores an ISRC hit that is clearly another song (a wrong ISRC on our side) and searches by title', async () => {
    const unrelated = track('Midnight Static', ['Bo Lind'], 180_000, 'SEABC2000001');
    const studio = track('Golden Harbour', ['Ada Vance'], 199_000, 'SEXYZ2000002');
    const search = searchOf({ SEABC2000001: [unrelated] }, () => [studio]);
    await expect(matchTrack(song, search)).resolves.toMatchObject({ matched: true, via: 'search', track: studio });
    expect(search.queries[1]).toBe('track:"Golden Harbour" artist:"Ada Vance"');
  });

  it('skips live, karaoke, sped-up and remix versions that rank above the studio version', async () => {
    const candidates = [
      track('Golden Harbour - Live', ['Ada Vance'], 200_000),
      track('Golden Harbour (Karaoke Version)', ['Ada Vance'], 200_000),
      track('Golden Harbour - Sped Up', ['Ada Vance'], 200_000),
      track('Golden Harbour (Club Remix)', ['Ada Vance'], 200_000),
      track('Golden Harbour (Live at Cafe Oto)', ['Ada Vance'], 201_000),
      track('Golden Harbour', ['Ada Vance'], 201_000),
    ];
    const result = await matchTrack({ ...song, isrc: null }, searchOf({}, () => candidates));
    expect(result).toMatchObject({ matched: true, track: candidates[5] });
  });

  it('says "only live versions" when that is all Spotify has', async () => {
    const live = [track('Golden Harbour - Live', ['Ada Vance'], 200_000), track('Golden Harbour (Live at Cafe Oto)', ['Ada Vance'], 230_000)];
    const result = await matchTrack({ ...song, isrc: null }, searchOf({}, () => live));
    expect(result).toEqual({ matched: false, reason: 'only_excluded_versions', detail: 'only live versions found' });
  });

  it('accepts a live version when the song itself is one', async () => {
    const live = track('Golden Harbour - Live', ['Ada Vance'], 230_000);
    const studio = track('Golden Harbour', ['Ada Vance'], 200_000);
    const result = await matchTrack({ title: 'Golden Harbour (Live)', artist: 'Ada Vance', durationMs: 230_500 }, searchOf({}, () => [studio, live]));
    expect(result).toMatchObject({ matched: true, track: live });
  });

  it('does not mistake a title that starts with "Live" for a live version', async () => {
    const studio = track('Live Forever', ['Oasis'], 276_000);
    const live = track('Live Forever - Live at Knebworth', ['Oasis'], 290_000);
    expect(versionKinds('Live Forever')).toEqual([]);
    const result = await matchTrack({ title: 'Live Forever', artist: 'Oasis', durationMs: 276_000 }, searchOf({}, () => [live, studio]));
    expect(result).toMatchObject({ matched: true, track: studio });
  });

  it('allows ±3 s of duration and no more', () => {
    const near = track('Golden Harbour', ['Ada Vance'], 203_000);
    const far = track('Golden Harbour', ['Ada Vance'], 203_001);
    expect(pickBestCandidate(song, [near], 'search')).toMatchObject({ matched: true });
    expect(pickBestCandidate(song, [far], 'search')).toMatchObject({ matched: false, reason: 'duration_mismatch' });
    // unknown duration on our side: names decide
    expect(pickBestCandidate({ ...song, durationMs: null }, [far], 'search')).toMatchObject({ matched: true });
  });

  it('accepts a remaster and a radio-style suffix that is not a different performance', () => {
    const remaster = track('Golden Harbour - Remastered 2011', ['Ada Vance'], 200_400);
    expect(pickBestCandidate(song, [remaster], 'search')).toMatchObject({ matched: true, track: remaster });
  });

  it('matches across diacritics, "&" and featured artists', () => {
    expect(artistScore('Beyoncé', ['Beyonce'])).toBe(1);
    expect(artistScore('Ada & the Wolves', ['Ada and the Wolves'])).toBe(1);
    expect(artistScore('Ada Vance feat. Bo Lind', ['Ada Vance', 'Bo Lind'])).toBe(1);
    expect(artistScore('Ada Vance', ['Ada Vance', 'Bo Lind'])).toBe(1);
    const featured = track('Golden Harbour (feat. Bo Lind)', ['Ada Vance', 'Bo Lind'], 200_000);
    expect(pickBestCandidate({ ...song, artist: 'Ada Vance feat. Bo Lind' }, [featured], 'search')).toMatchObject({ matched: true });
  });

  it('refuses the same title by another artist', async () => {
    const cover = track('Golden Harbour', ['Cy Moreau'], 200_000);
    const result = await matchTrack({ ...song, isrc: null }, searchOf({}, () => [cover]));
    expect(result).toMatchObject({ matched: false, reason: 'no_close_match' });
  });

  it('falls back to a free-text search when the field search finds nothing, and reports no candidate', async () => {
    const search = searchOf({}, () => []);
    const result = await matchTrack({ title: 'Golden "Harbour" (Radio Edit)', artist: 'Ada Vance feat. Bo Lind', isrc: 'seabc2000009' }, search);
    expect(result).toEqual({ matched: false, reason: 'no_candidate', detail: 'the search found nothing' });
    expect(search.queries).toEqual(['isrc:SEABC2000009', 'track:"Golden Harbour" artist:"Ada Vance"', 'Golden Harbour Ada Vance']);
  });

  it('keeps the most telling reason across the ISRC and the title search', async () => {
    const liveByIsrc = track('Golden Harbour - Live', ['Ada Vance'], 200_000, 'SEABC2000001');
    const result = await matchTrack(song, searchOf({ SEABC2000001: [liveByIsrc] }, () => []));
    expect(result).toMatchObject({ matched: false, reason: 'only_excluded_versions' });
  });

  it('refuses a remix or sped-up version unless the song title says so', () => {
    const remix = track('Golden Harbour - Bo Lind Remix', ['Ada Vance'], 200_000);
    const spedUp = track('Golden Harbour (sped up)', ['Ada Vance'], 200_000);
    expect(pickBestCandidate(song, [remix, spedUp], 'search')).toEqual({
      matched: false,
      reason: 'only_excluded_versions',
      detail: 'only remix, sped-up versions found',
    });
    expect(pickBestCandidate({ ...song, title: 'Golden Harbour (Bo Lind Remix)' }, [remix], 'search')).toMatchObject({ matched: true });
  });
});
