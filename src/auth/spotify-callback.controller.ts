import { Controller, Get, Inject, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiFoundResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../common/public.decorator';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { attemptOf, connectReturnLocation } from './connect-return';
import { SpotifyCallbackFilter } from './spotify-callback.filter';
import { SpotifyCallbackGuard } from './spotify-callback.guard';
import { ConnectedResponse } from '../connections/spotify-connection.dto';
import { ApiEndpoint } from '../openapi/api-endpoint.decorator';

/** Where Spotify sends the browser back (SPOTIFY_REDIRECT_URI); the strategy has done the work by now. */
@ApiTags('spotify connection')
@Controller('auth/spotify')
export class SpotifyCallbackController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Public()
  @Get('callback')
  @UseGuards(SpotifyCallbackGuard)
  @UseFilters(SpotifyCallbackFilter)
  @ApiEndpoint('handleSpotifyCallback', 'OAuth callback (opened by the browser coming back from Spotify; public)', {
    description:
      'Verifies the single-use state, exchanges the code (PKCE), reads the Spotify profile and stores the connection. ' +
      'Redirects to SPOTIFY_CONNECT_RETURN_URL when it is set, with status (connected or error), userId, attempt ' +
      '(the attemptId of the authorize call), signature = base64url(HMAC-SHA256(SPOTIFY_CONNECT_RETURN_SECRET, ' +
      'status.userId.attempt)) and, for errors, reason.',
    errors: {
      400: 'Unknown, expired or reused state',
      403: 'Consent denied, or the Spotify account is not admitted to this development-mode app',
      409: 'The Spotify account is linked to another user',
      502: 'Spotify could not answer',
    },
  })
  @ApiQuery({ name: 'code', required: false })
  @ApiQuery({ name: 'state', required: false })
  @ApiQuery({ name: 'error', required: false, description: 'access_denied when the user refused' })
  @ApiOkResponse({ type: ConnectedResponse, description: 'Connected (no SPOTIFY_CONNECT_RETURN_URL)' })
  @ApiFoundResponse({ description: 'Back to SPOTIFY_CONNECT_RETURN_URL' })
  callback(@Req() req: Request, @Res() res: Response): void {
    const connected = (req as Request & { user: ConnectedResponse }).user;
    res.setHeader('Cache-Control', 'no-store');
    const { connectReturnUrl, connectReturnSecret } = this.config.spotify;
    if (connectReturnUrl && connectReturnSecret) {
      res.redirect(302, connectReturnLocation(connectReturnUrl, connectReturnSecret, 'connected', attemptOf(req)));
      return;
    }
    res.status(200).json(connected);
  }
}
