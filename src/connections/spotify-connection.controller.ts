import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { UserIdParam } from '../users/users.dto';
import { SpotifyConnectionResponse } from './spotify-connection.dto';
import { SpotifyConnectionService } from './spotify-connection.service';
import { ApiEndpoint } from '../openapi/api-endpoint.decorator';

@ApiTags('spotify connection')
@ApiBearerAuth('api-key')
@Controller('v1/users/:id/spotify')
export class SpotifyConnectionController {
  constructor(private readonly connections: SpotifyConnectionService) {}

  @ApiEndpoint('getSpotifyConnection', 'Get the user’s Spotify connection status')
  @Get()
  @ApiOkResponse({ type: SpotifyConnectionResponse, description: '`{ connected: false }` when the user never connected' })
  get(@Param() { id }: UserIdParam): Promise<SpotifyConnectionResponse> {
    return this.connections.get(id);
  }

  @ApiEndpoint('disconnectSpotify', 'Disconnect the user’s Spotify account (its tokens are deleted)')
  @Delete()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Disconnected; the stored tokens are deleted' })
  async disconnect(@Param() { id }: UserIdParam): Promise<void> {
    await this.connections.disconnect(id);
  }
}
