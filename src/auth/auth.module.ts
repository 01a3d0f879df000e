import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { CryptoModule } from '../crypto/crypto.module';
import { SpotifyModule } from '../spotify/spotify.module';
import { UsersModule } from '../users/users.module';
import { OAuthStateStore } from './oauth-state.store';
import { SpotifyCallbackController } from './spotify-callback.controller';
import { SpotifyConnectionController } from './spotify-connection.controller';
import { SpotifyConnectionService } from './spotify-connection.service';
import { SpotifyConnectionStore } from './spotify-connection.store';
import { SpotifyTokenService } from './spotify-token.service';
import { SpotifyStrategy } from './spotify.strategy';

/** Connecting users' Spotify accounts, and valid user tokens for the jobs (SpotifyTokenService). */
@Module({
  imports: [PassportModule, CryptoModule, UsersModule, SpotifyModule],
  controllers: [SpotifyConnectionController, SpotifyCallbackController],
  providers: [OAuthStateStore, SpotifyConnectionStore, SpotifyConnectionService, SpotifyStrategy, SpotifyTokenService],
  exports: [SpotifyTokenService],
})
export class AuthModule {}
