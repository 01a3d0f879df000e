import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthorizeResponse } from '../connections/spotify-connection.dto';
import { UserIdParam } from '../users/users.dto';
import { SpotifyAuthorizeService } from './spotify-authorize.service';
import { ApiEndpoint } from '../openapi/api-endpoint.decorator';
import { Idempotent } from '../idempotency/idempotent.decorator';

/** POST /v1/users/:id/spotify/authorize: the browser flow's start; the other /spotify routes live in connections/. */
@ApiTags('spotify connection')
@ApiBearerAuth('api-key')
@Controller('v1/users/:id/spotify')
export class SpotifyAuthorizeController {
  constructor(private readonly authorizer: SpotifyAuthorizeService) {}

  @ApiEndpoint('authorizeSpotify', 'Start connecting the user’s Spotify account: get the URL to send their browser to')
  @Idempotent()
  @Post('authorize')
  @HttpCode(200)
  @ApiOkResponse({
    type: AuthorizeResponse,
    description: 'Open authorizeUrl in the user’s browser; it is valid once, for 10 minutes',
  })
  authorize(@Param() { id }: UserIdParam): Promise<AuthorizeResponse> {
    return this.authorizer.authorize(id);
  }
}
