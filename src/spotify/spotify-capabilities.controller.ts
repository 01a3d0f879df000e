import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CapabilitiesResponse } from './spotify-capabilities.dto';
import { SpotifyCapabilitiesService } from './spotify-capabilities.service';
import { ApiEndpoint } from '../openapi/api-endpoint.decorator';
import { SpotifyRequestBudget } from './budget/spotify-request-budget';

@ApiTags('spotify')
@ApiBearerAuth('api-key')
@Controller('v1/spotify')
export class SpotifyCapabilitiesController {
  constructor(
    private readonly capabilities: SpotifyCapabilitiesService,
    private readonly budget: SpotifyRequestBudget,
  ) {}

  @Get('capabilities')
  @ApiEndpoint('getSpotifyCapabilities', "What this Spotify app may do: its access tier, learnt from Spotify's answers or configured, and its request budget")
  @ApiOkResponse({ type: CapabilitiesResponse })
  async get(): Promise<CapabilitiesResponse> {
    const [report, budget] = await Promise.all([this.capabilities.report(), this.budget.report()]);
    return CapabilitiesResponse.from(report, budget);
  }
}
