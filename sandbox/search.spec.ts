import { performance } from 'node:perf_hooks';
import { generateCatalogue, SandboxTrack } from './catalogue';
import { normalizeWords, parseSearchQuery, SearchIndex } from './search';

describe('search', () => {
  let catalogue: SandboxTrack[];
  let index: SearchIndex;

  beforeAll(() => {
    catalogue = generateCatalogue();
    index = new SearchIndex(catalogue);
  });

  const run = (q: string) => index.search(parseSearchQuery(q));

  it('parses field filters, quoted values and free text', () => {
    expect(parseSearchQuery('isrc:usrc17607839')).toMatchObject({ isrc: 'USRC17607839' });
    expect(parseSearchQuery('track:"Golden Heart" artist:Zoë year:2011 love')).toEqual({
      isrc: null,
      trackWords: ['golden', 'heart'],
      artistWords: ['zoe'],
      albumWords: [],
      freeWords: ['love'],
    });
  });

  it('folds case and diacritics', () => {
    expect(normalizeWords("Björn & the Owls: DON'T")).toEqual(['bjorn', 'the', 'owls', 'don', 't']);
  });

  it('finds both tracks sharing an ISRC', () => {
    const single = catalogue.find((t) => t.variant?.kind === 'single')!;
    const ids = run(`isrc:${single.external_ids.isrc}`).map((t) => t.id);
    expect(ids.sort()).toEqual([single.id, single.variant!.of].sort());
  });

  it('returns the tricky versions for a bare title + artist search', () => {
    const original = catalogue[1];
    const results = run(`track:"${original.name}" artist:"${original.artists[0].name}"`);
    const variantKinds = results.filter((t) => t.variant?.of === original.id).map((t) => t.variant!.kind);
    expect(results).toContain(original);
    expect(variantKinds.sort()).toEqual(['karaoke', 'live', 'live-at', 'remastered', 'single', 'sped-up']);
  });

  it('matches free text against track and artist names, all words required', () => {
    const track = catalogue[10];
    const [firstArtistWord] = normalizeWords(track.artists[0].name);
    const results = run(`${track.name} ${firstArtistWord}`);
    expect(results).toContain(track);
    for (const result of results) {
      const words = new Set([...normalizeWords(result.name), ...result.artists.flatMap((a) => normalizeWords(a.name))]);
      for (const word of normalizeWords(`${track.name} ${firstArtistWord}`)) expect(words.has(word)).toBe(true);
    }
  });

  it('orders by popularity and finds nothing for an empty or unmatched query', () => {
    const results = run('heart');
    expect(results.length).toBeGreaterThan(20);
    for (let i = 1; i < results.length; i++) expect(results[i - 1].popularity).toBeGreaterThanOrEqual(results[i].popularity);
    expect(run('')).toEqual([]);
    expect(run('genre:rock')).toEqual([]);
    expect(run('track:zzzz')).toEqual([]);
  });

  it('answers a thousand searches over 10,000 tracks in well under a second', () => {
    const started = performance.now();
    for (let i = 0; i < 1000; i++) {
      const track = catalogue[i * 7];
      run(`track:"${track.name}" artist:"${track.artists[0].name}"`);
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
