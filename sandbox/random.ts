// Looked up once: under jest every access to the global `Math` is slow (~200 ns), which made
// generating the catalogue six times slower there than under plain node.
const { floor, imul, round } = Math;

/** A seeded pseudo-random source returning floats in [0, 1). */
export type Random = () => number;

/** mulberry32: tiny, fast and good enough for fake data; the same seed always gives the same sequence. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a hash of a string mixed with a seed, to derive per-entity seeds (e.g. a user's library). */
export function hashSeed(text: string, seed = 0): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Integer in [min, max], both inclusive. */
export function randomInt(rand: Random, min: number, max: number): number {
  return min + floor(rand() * (max - min + 1));
}

export function pick<T>(rand: Random, items: readonly T[]): T {
  return items[floor(rand() * items.length)];
}

export function round3(value: number): number {
  return round(value * 1000) / 1000;
}

/** Float in [min, max] rounded to 3 decimals, as Spotify reports audio features. */
export function randomFloat3(rand: Random, min = 0, max = 1): number {
  return round3(min + rand() * (max - min));
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const UPPER_ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const HEX = '0123456789abcdef';

function randomChars(rand: Random, alphabet: string, length: number): string {
  const codes = new Array<number>(length);
  for (let i = 0; i < length; i++) codes[i] = alphabet.charCodeAt(floor(rand() * alphabet.length));
  return String.fromCharCode(...codes);
}

/**
 * A Spotify-shaped id: 22 base-62 characters encoding a 128-bit number, so the first is 0–7
 * (62^22 > 2^128; an id starting higher does not decode, and Spotify answers it with 400 `invalid id`).
 */
export function randomSpotifyId(rand: Random): string {
  const id = '01234567'[floor(rand() * 8)] + randomChars(rand, BASE62, 21);
  // A few ids starting with 7 are just above 2^128 (a string comparison: see MAX_128_BIT_ID).
  return id > MAX_128_BIT_ID ? `6${id.slice(1)}` : id;
}

/** 2^128 - 1 in base 62. The alphabet is in ASCII order, so comparing strings compares the numbers. */
const MAX_128_BIT_ID = '7n42DGM5Tflk9n8mt7Fhc7';

/** Whether a 22-character base-62 id decodes to a 128-bit number, as Spotify's do. */
export function isDecodableSpotifyId(id: string): boolean {
  return /^[0-9A-Za-z]{22}$/.test(id) && id <= MAX_128_BIT_ID;
}

export function randomUpperAlnum(rand: Random, length: number): string {
  return randomChars(rand, UPPER_ALNUM, length);
}

export function randomHex(rand: Random, length: number): string {
  return randomChars(rand, HEX, length);
}

export function randomDigits(rand: Random, length: number): string {
  return randomChars(rand, '0123456789', length);
}
