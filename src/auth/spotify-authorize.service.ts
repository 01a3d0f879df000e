import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AuthorizeResponse } from '../connections/spotify-connection.dto';
import { UsersService } from '../users/users.service';
import { OAuthStateStore } from './oauth-state.store';

/** What the service asks Spotify for: reading saved tracks (user_library jobs). */
export const SPOTIFY_SCOPES = ['user-library-read'];

/** The start of the browser flow . */
@Injectable()
export class SpotifyAuthorizeService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly states: OAuthStateStore,
  ) {}

  /** Starts a connection: an authorize URL carrying a fresh state (bound to this user) and a PKCE challenge. */
  async authorize(userId: string): Promise<AuthorizeResponse> {
    await this.users.get(userId);
    const { state, attemptId, codeChallenge, expiresAt } = await this.states.create(userId);
    const { accountsBaseUrl, clientId, redirectUri } = this.config.spotify;
    const url = new URL(`${accountsBaseUrl}/authorize`);
    url.search = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: SPOTIFY_SCOPES.join(' '),
      state,
      code_challenge_method: 'S256',
      code_challenge: codeChallenge,
      // Spotify skips the consent screen for a returning user; the dialog makes a victim lured
      // onto someone else's authorize URL see which app and account they are about to link
      show_dialog: 'true',
    }).toString();
    return { authorizeUrl: url.toString(), attemptId, expiresAt: expiresAt.toISOString() };
  }
}
