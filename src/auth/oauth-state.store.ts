import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type Redis from 'ioredis';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { REDIS } from '../redis/redis.module';

export interface PendingAuthorization {
  userId: string;
  /** Handed to the caller at authorize and given back on the return, so it can tell its own attempt. */
  attemptId: string;
  /** PKCE code_verifier; never leaves the service except in the code exchange. */
  codeVerifier: string;
}

export interface NewAuthorization {
  state: string;
  attemptId: string;
  codeChallenge: string;
  expiresAt: Date;
}

export const STATE_TTL_SECONDS = 10 * 60;
const STATE_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/**
 * OAuth `state` + PKCE verifier, kept server-side in Redis: bound to the user who asked, expiring
 * after STATE_TTL_SECONDS, and single-use (GETDEL), so a replayed or forged callback finds nothing.
 * Keys hold a hash of the state, so a Redis dump alone cannot complete an authorization.
 */
@Injectable()
export class OAuthStateStore {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async create(userId: string, now = new Date()): Promise<NewAuthorization> {
    const state = randomBytes(32).toString('base64url');
    const codeVerifier = randomBytes(32).toString('base64url');
    const attemptId = randomUUID();
    const pending: PendingAuthorization = { userId, attemptId, codeVerifier };
    await this.call(() => this.redis.set(key(state), JSON.stringify(pending), 'EX', STATE_TTL_SECONDS, 'NX'));
    return {
      state,
      attemptId,
      codeChallenge: createHash('sha256').update(codeVerifier).digest('base64url'),
      expiresAt: new Date(now.getTime() + STATE_TTL_SECONDS * 1000),
    };
  }

  /** The pending authorization, removed in the same step; null when unknown, expired or used. */
  async consume(state: unknown): Promise<PendingAuthorization | null> {
    if (typeof state !== 'string' || !STATE_FORMAT.test(state)) return null;
    const stored = await this.call(() => this.redis.getdel(key(state)));
    return stored ? (JSON.parse(stored) as PendingAuthorization) : null;
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch {
      throw new ServiceUnavailableException('Connecting Spotify is unavailable for a moment (Redis); try again');
    }
  }
}

function key(state: string): string {
  return `oauth-state:${createHash('sha256').update(state).digest('base64url')}`;
}
