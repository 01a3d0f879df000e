import { Injectable, Logger } from '@nestjs/common';
import type { SpotifyTokenSet, SpotifyUser } from '../spotify/spotify.types';
import { UsersService } from '../users/users.service';
import { ConnectedResponse, SpotifyConnectionResponse } from './spotify-connection.dto';
import { SpotifyConnectionStore } from './spotify-connection.store';

@Injectable()
export class SpotifyConnectionService {
  private readonly logger = new Logger(SpotifyConnectionService.name);

  constructor(
    private readonly users: UsersService,
    private readonly store: SpotifyConnectionStore,
  ) {}

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

  async isConnected(userId: string): Promise<boolean> {
    return (await this.store.findSummary(userId)) !== null;
  }

  /** Removes the row and with it the tokens; disconnecting twice is not an error. */
  async disconnect(userId: string): Promise<void> {
    await this.users.get(userId);
    if (await this.store.delete(userId)) this.logger.log({ userId }, 'Spotify account disconnected');
  }
}
