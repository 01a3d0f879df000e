import { performance } from 'node:perf_hooks';
import { isDecodableSpotifyId } from './random';
import {
  defaultLibraryTrackIds,
  findTrackById,
  findTracksByIsrc,
  findVariants,
  generateCatalogue,
  SandboxTrack,
  VARIANT_KINDS,
} from './catalogue';

describe('generateCatalogue', () => {
  let catalogue: SandboxTrack[];

  beforeAll(() => {
    catalogue = generateCatalogue();
  });

  it('builds 10,000 tracks well under a second', () => {
    const started = performance.now();
    expect(generateCatalogue(7, 10_000)).toHaveLength(10_000);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    expect(generateCatalogue(42, 300)).toEqual(generateCatalogue(42, 300));
    expect(generateCatalogue(42).map((t) => t.id)).toEqual(catalogue.map((t) => t.id));
    expect(generateCatalogue(43, 300).map((t) => t.id)).not.toEqual(generateCatalogue(42, 300).map((t) => t.id));
  });

  // Collecting offenders keeps 10,000 × a dozen checks fast and the failure message readable.
  it('gives every track well-formed Spotify fields', () => {
    const malformed = catalogue.filter(
      (t) =>
        !/^[0-9A-Za-z]{22}$/.test(t.id) ||
        !/^[A-Z]{2}[A-Z0-9]{3}\d{2}\d{5}$/.test(t.external_ids.isrc) ||
        t.external_urls.spotify !== `https://open.spotify.com/track/${t.id}` ||
        !(t.duration_ms >= 90_000 && t.duration_ms <= 420_000) ||
        !(Number.isInteger(t.popularity) && t.popularity >= 0 && t.popularity <= 100) ||
        !(t.artists.length >= 1 && t.artists.length <= 3) ||
        !/^\d{4}-\d{2}-\d{2}$/.test(t.album.release_date) ||
        !(t.track_number >= 1 && t.track_number <= t.album.total_tracks),
    );
    expect(malformed).toEqual([]);
    expect(new Set(catalogue.map((t) => t.id)).size).toBe(catalogue.length);
  });

  it('keeps audio features in Spotify ranges with 3 decimals', () => {
    const unit = ['danceability', 'energy', 'valence', 'acousticness', 'instrumentalness', 'speechiness', 'liveness'] as const;
    const threeDecimals = (value: number) => Math.abs(value * 1000 - Math.round(value * 1000)) < 1e-6;
    const outOfRange = catalogue.filter(({ audio_features: f }) =>
      [...unit.map((name) => f[name] >= 0 && f[name] <= 1 && threeDecimals(f[name])), f.loudness >= -60 && f.loudness <= 0 && threeDecimals(f.loudness)].includes(false),
    );
    expect(outOfRange).toEqual([]);
  });

  it('has a few hundred artists, some on many tracks and some tracks with several artists', () => {
    const tracksPerArtist = new Map<string, number>();
    for (const track of catalogue) for (const artist of track.artists) tracksPerArtist.set(artist.id, (tracksPerArtist.get(artist.id) ?? 0) + 1);
    expect(tracksPerArtist.size).toBeGreaterThanOrEqual(200);
    expect(tracksPerArtist.size).toBeLessThanOrEqual(500);
    expect(Math.max(...tracksPerArtist.values())).toBeGreaterThan(50);
    expect(catalogue.some((t) => t.artists.length === 3)).toBe(true);
  });

  it('has a preview URL on roughly half the tracks', () => {
    const withPreview = catalogue.filter((t) => t.preview_url !== null).length / catalogue.length;
    expect(withPreview).toBeGreaterThan(0.4);
    expect(withPreview).toBeLessThan(0.6);
  });

  it('includes every tricky variant, by the same artists, even in a tiny catalogue', () => {
    const tiny = generateCatalogue(42, 10);
    const original = tiny[1];
    const variants = findVariants(tiny, original.id);
    expect(variants.map((v) => v.variant!.kind).sort()).toEqual([...VARIANT_KINDS].sort());
    const names = variants.map((v) => v.name);
    expect(names).toEqual(
      expect.arrayContaining([
        `${original.name} - Live`,
        `${original.name} - Sped Up`,
        `${original.name} (Karaoke Version)`,
        expect.stringMatching(new RegExp(`^${original.name} \\(Live at .+\\)$`)),
        expect.stringMatching(new RegExp(`^${original.name} - Remastered \\d{4}$`)),
      ]),
    );
    for (const variant of variants) expect(variant.artists).toEqual(original.artists);
  });

  it('gives a single and its album version one ISRC but different ids and albums', () => {
    const single = catalogue.find((t) => t.variant?.kind === 'single')!;
    const sameIsrc = findTracksByIsrc(catalogue, single.external_ids.isrc.toLowerCase());
    expect(sameIsrc).toHaveLength(2);
    const [album, singleVersion] = sameIsrc;
    expect(album.id).not.toBe(singleVersion.id);
    expect(album.album.id).not.toBe(singleVersion.album.id);
    expect(singleVersion.album.album_type).toBe('single');
    expect(catalogue.filter((t) => t.variant?.kind === 'single').length).toBeGreaterThan(50);
  });

  it('finds tracks by id', () => {
    expect(findTrackById(catalogue, catalogue[1234].id)).toBe(catalogue[1234]);
    expect(findTrackById(catalogue, '0000000000000000000000')).toBeUndefined();
  });

  it('draws a deterministic default library per user', () => {
    const alice = defaultLibraryTrackIds(catalogue, 'alice', 42);
    expect(alice).toHaveLength(120);
    expect(new Set(alice).size).toBe(120);
    expect(defaultLibraryTrackIds(catalogue, 'alice', 42)).toEqual(alice);
    expect(defaultLibraryTrackIds(catalogue, 'bob', 42)).not.toEqual(alice);
    expect(defaultLibraryTrackIds(catalogue.slice(0, 30), 'alice', 42)).toHaveLength(30);
  });
});

describe('sandbox ids', () => {
  it("are shaped like Spotify's: 22 base-62 characters of a 128-bit number, so the first is 0-7", () => {
    const ids = generateCatalogue(3, 2_000).flatMap((t) => [t.id, t.album.id, ...t.artists.map((a) => a.id)]);
    expect(ids.every((id) => /^[0-7][0-9A-Za-z]{21}$/.test(id) && isDecodableSpotifyId(id))).toBe(true);
    expect(isDecodableSpotifyId('7n42DGM5Tflk9n8mt7Fhc7')).toBe(true);
    expect(isDecodableSpotifyId('7n42DGM5Tflk9n8mt7Fhc8')).toBe(false);
    expect(isDecodableSpotifyId('8000000000000000000000')).toBe(false);
    expect(isDecodableSpotifyId('zzzzzzzzzzzzzzzzzzzzzz')).toBe(false);
  });
});
