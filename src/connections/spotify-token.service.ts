import { Injectable, Logger } from '@nestjs/common';
import { SingleFlight } from '../common/single-flight';
import { SpotifyAccountsClient } from '../spotify/spotify-accounts.client';
import { SpotifyAuthRevokedError } from '../spotify/spotify.errors';
import { SpotifyNotConnectedError, SpotifyReauthRequiredError } from './spotify-connection.errors';
import { ConnectionWithTokens, SpotifyConnectionStore } from './spotify-connection.store';

/** Refresh this long before Spotify's expiry, so a token handed out still works for a whole request. */
export const REFRESH_MARGIN_MS = 2 * 60_000;

type Outcome = { token: string } | { reauth: string } | { missing: true };

/**
 * Valid user access tokens for other modules (the jobs).
 *
 * Exactly one refresh per expiry, however many callers: in a process, concurrent callers share one
 * in-flight promise; across processes, the refresh runs under the connection's row lock and every
 * waiter re-reads the row after it, finding the token the winner stored. With PKCE, Spotify's refresh
 * tokens are single-use, so a second refresh would not just be wasteful: it could lose the connection.
 */
@Injectable()
export class SpotifyTokenService {
  private readonly logger = new Logger(SpotifyTokenService.name);
  private readonly flights = new SingleFlight<string>();

  constructor(
    private readonly store: SpotifyConnectionStore,
    private readonly accounts: SpotifyAccountsClient,
  ) {}

  /**
   * A user access token valid for at least REFRESH_MARGIN_MS.
   * @throws SpotifyNotConnectedError, SpotifyReauthRequiredError (permanent: never retry),
   *   SpotifyTransientError / SpotifyRateLimitedError from the refresh (retry later).
   */
  async getUserAccessToken(userId: string): Promise<string> {
    const current = usable(userId, await this.store.findWithTokens(userId));
    if (!expiresSoon(current)) return current.accessToken;
    return this.flights.run(`expiry:${userId}`, () => this.refresh(userId, (row) => !expiresSoon(row)));
  }

  /** The scopes the user granted (as Spotify last reported them), so a job can check what it needs first. */
  async grantedScopes(userId: string): Promise<string[]> {
    const row = await this.store.findSummary(userId);
    if (!row) throw new SpotifyNotConnectedError(userId);
    return row.scope.split(/\s+/).filter(Boolean);
  }

  /**
   * After Spotify answered 401 to `rejectedAccessToken`: one refresh, shared by every caller that saw
   * the same token rejected. If another caller already replaced it, that newer token is returned.
   */
  async refreshAfterUnauthorized(userId: string, rejectedAccessToken: string): Promise<string> {
    return this.flights.run(`rejected:${userId}:${rejectedAccessToken}`, () =>
      this.refresh(userId, (row) => row.accessToken !== rejectedAccessToken && !expiresSoon(row)),
    );
  }

  private async refresh(userId: string, stillValid: (row: ConnectionWithTokens) => boolean): Promise<string> {
    const outcome = await this.store.withLock<Outcome>(userId, async (row) => {
      if (!row) return { missing: true };
      if (row.status === 'needs_reauth') return { reauth: row.statusReason ?? 'reconnect needed' };
      if (stillValid(row)) return { token: row.accessToken }; // another caller or process refreshed meanwhile
      try {
        const refreshed = await this.accounts.refreshUserToken(row.refreshToken);
        row.saveRefreshed(refreshed);
        return { token: refreshed.accessToken };
      } catch (error) {
        if (!(error instanceof SpotifyAuthRevokedError)) throw error;
        row.markNeedsReauth(error.message);
        return { reauth: error.message };
      }
    });
    // Only now is the outcome committed: the rotated refresh token or the needs_reauth mark.
    if ('missing' in outcome) throw new SpotifyNotConnectedError(userId);
    if ('reauth' in outcome) {
      this.logger.warn({ userId, reason: outcome.reauth }, 'Spotify connection needs re-authorisation');
      throw new SpotifyReauthRequiredError(userId, outcome.reauth);
    }
    this.logger.debug({ userId }, 'Spotify user token refreshed');
    return outcome.token;
  }
}

function usable(userId: string, row: ConnectionWithTokens | null): ConnectionWithTokens {
  if (!row) throw new SpotifyNotConnectedError(userId);
  if (row.status === 'needs_reauth') throw new SpotifyReauthRequiredError(userId, row.statusReason ?? 'reconnect needed');
  return row;
}

function expiresSoon(row: ConnectionWithTokens): boolean {
  return row.tokenExpiresAt.getTime() - Date.now() <= REFRESH_MARGIN_MS;
}
