import { randomBytes } from 'node:crypto';

export interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string | null;
  userId: string;
  scopes: string[];
  consentedAt: number;
  expiresAt: number;
}

export interface AccessToken {
  /** null for client-credentials (app) tokens. */
  userId: string | null;
  scopes: string[];
  expiresAt: number;
  revoked: boolean;
}

export interface RefreshToken {
  userId: string;
  scopes: string[];
  /** The consent this token descends from; refreshing never moves it (Spotify's 6-month limit). */
  consentedAt: number;
  revoked: boolean;
  /** Replaced by a newer token while rotation was on; single-use like PKCE refresh tokens. */
  rotated: boolean;
}

const CODE_TTL_MS = 10 * 60 * 1000;

/** Opaque random strings mapped to what they grant. */
export class TokenStore {
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, RefreshToken>();

  issueCode(grant: Omit<AuthorizationCode, 'expiresAt'>): string {
    const code = opaque(48);
    this.codes.set(code, { ...grant, expiresAt: grant.consentedAt + CODE_TTL_MS });
    return code;
  }

  findCode(code: string): AuthorizationCode | undefined {
    return this.codes.get(code);
  }

  /** Codes are single-use: deleted once exchanged. */
  consumeCode(code: string): void {
    this.codes.delete(code);
  }

  issueAccessToken(userId: string | null, scopes: string[], ttlSeconds: number, now = Date.now()): string {
    const token = opaque(32);
    this.accessTokens.set(token, { userId, scopes, expiresAt: now + ttlSeconds * 1000, revoked: false });
    return token;
  }

  findAccessToken(token: string): AccessToken | undefined {
    return this.accessTokens.get(token);
  }

  issueRefreshToken(userId: string, scopes: string[], consentedAt: number): string {
    const token = opaque(48);
    this.refreshTokens.set(token, { userId, scopes, consentedAt, revoked: false, rotated: false });
    return token;
  }

  findRefreshToken(token: string): RefreshToken | undefined {
    return this.refreshTokens.get(token);
  }

  /** The user removed the app: every token they have, refresh tokens included, stops working. */
  revokeUser(userId: string): void {
    for (const record of [...this.accessTokens.values(), ...this.refreshTokens.values()]) {
      if (record.userId === userId) record.revoked = true;
    }
  }

  expireAccessTokens(userId: string, now = Date.now()): void {
    for (const record of this.accessTokens.values()) {
      if (record.userId === userId) record.expiresAt = Math.min(record.expiresAt, now);
    }
  }
}

function opaque(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}
