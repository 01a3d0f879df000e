import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { UserIdParam } from '../users/users.dto';
import { AuthorizeResponse, SpotifyConnectionResponse } from './spotify-connection.dto';
import { SpotifyConnectionService } from './spotify-connection.service';
import { ApiEndpoint } from '../openapi/api-endpoint.decorator';

@ApiTags('spotify connection')
@ApiBearerAuth('api-key')
@Controller('v1/users/:id/spotify')
export class SpotifyConnectionController {
  constructor(private readonly connections: SpotifyConnectionService) {}

  @ApiEndpoint('authorizeSpotify', 'Start connecting the user’s Spotify account: get the URL to send their browser to')
  @Post('authorize')
  @HttpCode(200)
  @ApiOkResponse({
    type: AuthorizeResponse,
    description: 'Open authorizeUrl in the user’s browser; it is valid once, for 10 minutes',
  })
  authorize(@Param() { id }: UserIdParam): Promise<AuthorizeResponse> {
    return this.connections.authorize(id);
  }

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
