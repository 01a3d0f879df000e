import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function spotifyId(): string {
  return Array.from(randomBytes(22), (b) => BASE62[b % 62]).join('');
}

export function isrc(): string {
  const digits = Array.from(randomBytes(7), (b) => String(b % 10)).join('');
  return `GB${randomBytes(2).toString('hex').toUpperCase().slice(0, 3)}${digits}`;
}

export function songInput(overrides: Record<string, unknown> = {}) {
  return { title: `Song ${randomBytes(3).toString('hex')}`, artist: 'Test Artist', durationMs: 200_000, ...overrides };
}
