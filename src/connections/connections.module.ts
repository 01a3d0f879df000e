import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { CryptoModule } from '../crypto/crypto.module';
import { SpotifyModule } from '../spotify/spotify.module';
import { UsersModule } from '../users/users.module';
import { SpotifyConnectionController } from './spotify-connection.controller';
import { SpotifyConnection } from './spotify-connection.entity';
import { SpotifyConnectionService } from './spotify-connection.service';
import { SpotifyConnectionStore } from './spotify-connection.store';
import { SpotifyTokenService } from './spotify-token.service';

/**
 * A user's Spotify connection: its row and encrypted tokens (SpotifyConnectionStore, the only
 * reader/writer of the token columns), valid access tokens for the jobs, and the status/disconnect
 * routes. The browser flow that creates a connection lives in auth/.
 */
@Module({
  imports: [MikroOrmModule.forFeature([SpotifyConnection]), CryptoModule, SpotifyModule, UsersModule],
  controllers: [SpotifyConnectionController],
  providers: [SpotifyConnectionStore, SpotifyConnectionService, SpotifyTokenService],
  exports: [SpotifyConnectionService, SpotifyTokenService],
})
export class ConnectionsModule {}
