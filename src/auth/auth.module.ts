import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { ConnectionsModule } from '../connections/connections.module';
import { SpotifyModule } from '../spotify/spotify.module';
import { UsersModule } from '../users/users.module';
import { OAuthStateStore } from './oauth-state.store';
import { SpotifyAuthorizeController } from './spotify-authorize.controller';
import { SpotifyAuthorizeService } from './spotify-authorize.service';
import { SpotifyCallbackController } from './spotify-callback.controller';
import { SpotifyStrategy } from './spotify.strategy';

/** The browser flow that connects a Spotify account: authorize URL, OAuth state + PKCE, callback. */
@Module({
  imports: [PassportModule, UsersModule, SpotifyModule, ConnectionsModule],
  controllers: [SpotifyAuthorizeController, SpotifyCallbackController],
  providers: [OAuthStateStore, SpotifyAuthorizeService, SpotifyStrategy],
})
export class AuthModule {}
