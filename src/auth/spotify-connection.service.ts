import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { SpotifyTokenSet, SpotifyUser } from '../spotify/spotify.types';
import { UsersService } from '../users/users.service';
import { OAuthStateStore } from './oauth-state.store';
import { AuthorizeResponse, ConnectedResponse, SpotifyConnectionResponse } from './spotify-connection.dto';
import { SpotifyConnectionStore } from './spotify-connection.store';

/** What the service asks Spotify for: reading saved tracks (user_library jobs). */
export const SPOTIFY_SCOPES = ['user-library-read'];

@Injectable()
export class SpotifyConnectionService {
  private readonly logger = new Logger(SpotifyConnectionService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly states: OAuthStateStore,
    private readonly store: SpotifyConnectionStore,
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

  /** Called by the Passport strategy once the code is exchanged and the profile read. */
  async connect(userId: string, spotifyUser: SpotifyUser, tokens: SpotifyTokenSet): Promise<ConnectedResponse> {
    const connection = await this.store.save(userId, spotifyUser.id, tokens, new Date());
    this.logger.log({ userId, spotifyUserId: spotifyUser.id }, 'Spotify account connected');
    return { status: 'connected', userId, connection: SpotifyConnectionResponse.from(connection) };
  }

  async get(userId: string): Promise<SpotifyConnectionResponse> {
    await this.users.get(userId);
    return SpotifyConnectionResponse.from(await this.store.findSummary(userId));
  }

  /** Removes the row and with it the tokens; disconnecting twice is not an error. */
  async disconnect(userId: string): Promise<void> {
    await this.users.get(userId);
    if (await this.store.delete(userId)) this.logger.log({ userId }, 'Spotify account disconnected');
  }
}
