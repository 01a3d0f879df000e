import { randomBytes } from 'node:crypto';

/** Figures and data for the benchmarks; databases come from test/helpers/database (one copy). */

export const BENCH_API_KEY = 'bench-api-key-0123456789';

/** The environment of a service under benchmark: the api role on `databaseUrl`, its own Redis prefix and keys, no logs. */
export function benchServiceEnv(databaseUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: `bench-${randomBytes(3).toString('hex')}`,
    API_KEYS: BENCH_API_KEY,
    TOKEN_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    SPOTIFY_CLIENT_ID: 'bench',
    SPOTIFY_CLIENT_SECRET: 'bench',
    SPOTIFY_REDIRECT_URI: 'http://127.0.0.1:3000/auth/spotify/callback',
    APP_ROLE: 'api',
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}
export function percentile(sortedMs: number[], p: number): number {
  return sortedMs[Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1)];
}

export function summarise(samplesMs: number[]) {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

export const ms = (n: number) => `${n.toFixed(2)} ms`;

/** A deterministic PRNG so every run benchmarks the same data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export function base62(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[Math.floor(random() * 62)];
  return out;
}

export function printTable(title: string, rows: [string, string, string, string][]): void {
  console.log(`\n${title}`);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length)));
  for (const row of rows) console.log('  ' + row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
}
