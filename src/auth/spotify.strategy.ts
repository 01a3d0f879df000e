import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request, Response } from 'express';
import { Passport } from 'passport';
import { Strategy } from 'passport-spotify';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SpotifyAccountsClient } from '../spotify/spotify-accounts.client';
import { SpotifyClient } from '../spotify/spotify.client';
import type { SpotifyTokenSet, SpotifyUser } from '../spotify/spotify.types';
import { ConnectCallbackError, OAuthStateInvalidError, SpotifyConsentDeniedError } from './auth.errors';
import { attemptOf, rememberAttempt } from './connect-return';
import { OAuthStateStore } from './oauth-state.store';
import { toCallbackError } from './spotify-callback.errors';
import { ConnectedResponse } from '../connections/spotify-connection.dto';
import { SpotifyConnectionService } from '../connections/spotify-connection.service';
import { SPOTIFY_SCOPES } from './spotify-authorize.service';


/**
 * passport-oauth2's state store contract, backed by OAuthStateStore. Verifying consumes the
 * state and hands back the PKCE verifier, which passport-oauth2 then sends with the code.
 */
function stateStore(states: OAuthStateStore) {
  return {
    store(_req: Request, _verifier: string, _state: unknown, _meta: unknown, done: (error: unknown) => void): void {
      // Authorize URLs come from POST /v1/users/:id/spotify/authorize, never from a redirect here.
      done(new ConnectCallbackError('invalid_request', 400, 'The callback needs code and state'));
    },
    verify(req: Request, state: unknown, _meta: unknown, done: (error: unknown, ok?: string, info?: object) => void): void {
      states.consume(state).then((pending) => {
        if (!pending) return done(new OAuthStateInvalidError());
        rememberAttempt(req, { userId: pending.userId, attemptId: pending.attemptId });
        done(null, pending.codeVerifier, { userId: pending.userId });
      }, done);
    },
  };
}

/**
 * The Passport Spotify strategy, handling GET /auth/spotify/callback.
 *
 * passport-spotify 2.0.0 talks to Spotify through node-oauth (no timeout, outside our client),
 * and its token callback passes `expires_in` where passport-oauth2 expects the token answer, so the
 * granted scope is lost. The code exchange and the profile read therefore go through src/spotify;
 * passport keeps the callback handling: state verification, error answers, then verify().
 */
@Injectable()
export class SpotifyStrategy extends PassportStrategy(Strategy, 'spotify', true) {
  // Set on first use, from inside super(): not initialised here, or the field would reset it.
  private passport?: Passport;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly states: OAuthStateStore,
    private readonly accounts: SpotifyAccountsClient,
    private readonly webApi: SpotifyClient,
    private readonly connections: SpotifyConnectionService,
  ) {
    const { clientId, clientSecret, redirectUri, accountsBaseUrl, apiBaseUrl } = config.spotify;
    super({
      clientID: clientId,
      clientSecret,
      callbackURL: redirectUri,
      authorizationURL: `${accountsBaseUrl}/authorize`,
      tokenURL: `${accountsBaseUrl}/api/token`,
      userProfileURL: `${apiBaseUrl}/me`,
      scope: SPOTIFY_SCOPES,
      passReqToCallback: true,
      pkce: 'S256',
      state: true,
      store: stateStore(states),
    });
    this._oauth2.getOAuthAccessToken = (code, params, callback) => {
      accounts
        .exchangeAuthorizationCode({ code, redirectUri: params.redirect_uri, codeVerifier: params.code_verifier })
        // the whole token set as passport-oauth2's `params`, so verify() gets expiry and scope
        .then((tokens) => callback(null, tokens.accessToken, tokens.refreshToken, tokens), (error) => callback(error));
    };
  }

  /**
   * This strategy's own Passport instance rather than the process-wide one, so that two apps in one
   * process (tests, tools) never run each other's strategy.
   */
  getPassportInstance(): Passport {
    return (this.passport ??= new Passport());
  }

  /** Runs passport on the callback request: the connected user's answer, or one clear error. */
  handleCallback(req: Request, res: Response): Promise<ConnectedResponse> {
    return new Promise((resolve, reject) => {
      const middleware = this.getPassportInstance().authenticate('spotify', { session: false }, (error, user) => {
        if (error) reject(toCallbackError(error));
        else if (!user) reject(new ConnectCallbackError('invalid_request', 400, 'Spotify authorization failed'));
        else resolve(user as ConnectedResponse);
      });
      middleware(req, res, (error) => reject(error ?? new Error('Spotify callback ended without an answer')));
    });
  }

  override authenticate(req: Request, options?: unknown): void {
    const { code, state, error } = req.query as Record<string, unknown>;
    if (error !== undefined) {
      // The attempt is over either way: burn its state so it cannot be completed later.
      const denied = error === 'access_denied';
      const refusal = denied
        ? new SpotifyConsentDeniedError()
        : new ConnectCallbackError('invalid_request', 400, `Spotify refused the authorization (${safeCode(error)})`);
      this.states.consume(state).then(
        (pending) => {
          if (pending) rememberAttempt(req, { userId: pending.userId, attemptId: pending.attemptId });
          this.error(refusal);
        },
        () => this.error(refusal),
      );
      return;
    }
    if (typeof code !== 'string' || !code || typeof state !== 'string' || !state) {
      return this.error(new ConnectCallbackError('invalid_request', 400, 'The callback needs code and state'));
    }
    super.authenticate(req, options);
  }

  override userProfile(accessToken: string, done: (error: unknown, profile?: SpotifyUser) => void): void {
    this.webApi.getCurrentUser(accessToken).then((user) => done(null, user), (error) => done(error));
  }

  async validate(
    req: Request,
    _accessToken: string,
    _refreshToken: string,
    tokens: SpotifyTokenSet,
    profile: SpotifyUser,
  ): Promise<ConnectedResponse> {
    const userId = attemptOf(req)?.userId;
    if (!userId) throw new OAuthStateInvalidError();
    return this.connections.connect(userId, profile, tokens);
  }
}

function safeCode(value: unknown): string {
  return typeof value === 'string' && /^[a-z_]{1,64}$/.test(value) ? value : 'unknown error';
}
