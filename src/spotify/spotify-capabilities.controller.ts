import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CapabilitiesResponse } from './spotify-capabilities.dto';
import { SpotifyCapabilitiesService } from './spotify-capabilities.service';
import { ApiEndpoint } from '../openapi/api-endpoint.decorator';

@ApiTags('spotify')
@ApiBearerAuth('api-key')
@Controller('v1/spotify')
export class SpotifyCapabilitiesController {
  constructor(private readonly capabilities: SpotifyCapabilitiesService) {}

  @Get('capabilities')
  @ApiEndpoint('getSpotifyCapabilities', "What this Spotify app may do: its access tier, learnt from Spotify's answers or configured")
  @ApiOkResponse({ type: CapabilitiesResponse })
  async get(): Promise<CapabilitiesResponse> {
    return CapabilitiesResponse.from(await this.capabilities.report());
  }
}
