import { Inject, Injectable, Optional } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { SpotifyAuthRevokedError, SpotifyBadRequestError, SpotifyTransientError } from './spotify.errors';
import { isObject, RawObject } from './spotify.mappers';
import { SpotifyTokenSet, SpotifyRefreshedToken } from './spotify.types';
import { SpotifyHttp, SpotifyResponse } from './spotify-http';

interface CachedToken {
  value: string;
  renewAt: number;
}

/** Renew an app token this long before Spotify says it expires (less for very short-lived tokens). */
const APP_TOKEN_EARLY_RENEWAL_MS = 60_000;
/** An `invalid_grant` this soon after the token endpoint answered 5xx may be the outage talking. */
export const TOKEN_OUTAGE_WINDOW_MS = 120_000;
/** ...so it is asked once more after this delay before the grant is reported revoked. */
export const INVALID_GRANT_CONFIRM_DELAY_MS = 2_000;

/** Spotify's Accounts service (POST /api/token): the app's token and users' authorization-code tokens. */
@Injectable()
export class SpotifyAccountsClient {
  private appToken: CachedToken | null = null;
  private appTokenInFlight: Promise<string> | null = null;
  /** When this process last saw the token endpoint answer 5xx (or not answer). */
  private lastServerErrorAt = 0;

  constructor(
    private readonly http: SpotifyHttp,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /** The client-credentials token, cached; concurrent callers share one fetch. */
  getAppAccessToken(): Promise<string> {
    if (this.appToken && Date.now() < this.appToken.renewAt) return Promise.resolve(this.appToken.value);
    this.appTokenInFlight ??= this.fetchAppToken().finally(() => {
      this.appTokenInFlight = null;
    });
    return this.appTokenInFlight;
  }

  /** After a 401 on the app token: drop it (unless a newer one already replaced it). */
  invalidateAppToken(token: string): void {
    if (this.appToken?.value === token) this.appToken = null;
  }

  /** Authorization code (+ PKCE verifier) → the user's tokens. `invalid_grant` (bad, used or expired code) → SpotifyBadRequestError. */
  async exchangeAuthorizationCode(params: { code: string; redirectUri: string; codeVerifier: string }): Promise<SpotifyTokenSet> {
    const body = await this.tokenRequest(
      { grant_type: 'authorization_code', code: params.code, redirect_uri: params.redirectUri, code_verifier: params.codeVerifier },
      false,
    );
    const refreshToken = stringField(body, 'refresh_token');
    if (!refreshToken) throw new SpotifyTransientError('Spotify token answer carried no refresh_token');
    return { ...accessFields(body), refreshToken };
  }

  /**
   * Refresh → a new access token; `refreshToken` only when Spotify rotated it (keep the old one otherwise).
   * `invalid_grant` (revoked, or past the 6-month limit) → SpotifyAuthRevokedError: never retry.
   */
  async refreshUserToken(refreshToken: string): Promise<SpotifyRefreshedToken> {
    // Not resent after a timeout: with rotation the first attempt may have used up the refresh token.
    let body: RawObject;
    const form = { grant_type: 'refresh_token', refresh_token: refreshToken };
    try {
      try {
        body = await this.tokenRequest(form, false);
      } catch (error) {
        // After an outage Spotify has answered invalid_grant for grants that were fine (ListenBrainz lost
        // every user's tokens to that): near a 5xx, ask once more after a short delay before believing it.
        if (!(error instanceof SpotifyAuthRevokedError) || Date.now() - this.lastServerErrorAt > TOKEN_OUTAGE_WINDOW_MS) throw error;
        await sleep(INVALID_GRANT_CONFIRM_DELAY_MS);
        body = await this.tokenRequest(form, false);
      }
      this.metrics?.recordTokenRefresh('user', 'refreshed');
    } catch (error) {
      this.metrics?.recordTokenRefresh('user', error instanceof SpotifyAuthRevokedError ? 'invalid_grant' : 'error');
      throw error;
    }
    const rotated = stringField(body, 'refresh_token');
    return { ...accessFields(body), ...(rotated && rotated !== refreshToken ? { refreshToken: rotated } : {}) };
  }

  private async fetchAppToken(): Promise<string> {
    const requestedAt = Date.now();
    let body: RawObject;
    try {
      body = await this.tokenRequest({ grant_type: 'client_credentials' }, true);
      this.metrics?.recordTokenRefresh('app', 'refreshed');
    } catch (error) {
      this.metrics?.recordTokenRefresh('app', 'error');
      throw error;
    }
    const { accessToken } = accessFields(body);
    const lifetimeMs = expiresInMs(body);
    this.appToken = { value: accessToken, renewAt: requestedAt + lifetimeMs - Math.min(APP_TOKEN_EARLY_RENEWAL_MS, lifetimeMs / 10) };
    return accessToken;
  }

  private async tokenRequest(form: Record<string, string>, idempotent: boolean): Promise<RawObject> {
    const response = await this.sendTokenRequest(form, idempotent);
    const body = isObject(response.body) ? response.body : {};
    if (response.status === 200) return body;
    const error = typeof body.error === 'string' ? body.error : `http_${response.status}`;
    const description = typeof body.error_description === 'string' ? body.error_description : 'no description';
    if (error === 'invalid_grant' && form.grant_type === 'refresh_token') {
      throw new SpotifyAuthRevokedError(`Spotify refused the refresh token: ${description}`, response.status);
    }
    throw new SpotifyBadRequestError(`Spotify token endpoint refused ${form.grant_type}: ${error} (${description})`, response.status, error);
  }

  private sendTokenRequest(form: Record<string, string>, idempotent: boolean): Promise<SpotifyResponse> {
    const { clientId, clientSecret, accountsBaseUrl } = this.config.spotify;
    return this.http.send({
      method: 'POST',
      url: `${accountsBaseUrl}/api/token`,
      endpoint: '/api/token',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams(form).toString(),
      gated: false,
      idempotent,
      // A 5xx means Spotify answered without granting: client credentials and refreshes are safe to ask
      // again; a code is single-use, so its exchange is not resent (the user simply connects again).
      retryServerErrors: form.grant_type !== 'authorization_code',
      expect: (body) => (isObject(body) ? null : 'expected a JSON object'),
      onServerError: () => {
        this.lastServerErrorAt = Date.now();
      },
    });
  }
}

function stringField(body: RawObject, name: string): string | undefined {
  return typeof body[name] === 'string' && body[name] !== '' ? (body[name] as string) : undefined;
}

function expiresInMs(body: RawObject): number {
  const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600;
  return seconds * 1000;
}

function accessFields(body: RawObject): { accessToken: string; expiresAt: Date; scope: string } {
  const accessToken = stringField(body, 'access_token');
  if (!accessToken) throw new SpotifyTransientError('Spotify token answer carried no access_token');
  return { accessToken, expiresAt: new Date(Date.now() + expiresInMs(body)), scope: stringField(body, 'scope') ?? '' };
}
