import { Module } from '@nestjs/common';
import { SpotifyRequestBudget } from './budget/spotify-request-budget';
import { SpotifyRequestBudgetRepository } from './budget/spotify-request-budget.repository';
import { SpotifyAccountsClient } from './spotify-accounts.client';
import { SpotifyCapabilitiesController } from './spotify-capabilities.controller';
import { SpotifyCapabilitiesService } from './spotify-capabilities.service';
import { SpotifyHttp } from './spotify-http';
import { SpotifyRateLimiter } from './spotify-rate-limiter';
import { SpotifyClient } from './spotify.client';

/** The only code that speaks HTTP to Spotify (Web API and Accounts). */
@Module({
  controllers: [SpotifyCapabilitiesController],
  providers: [SpotifyRateLimiter, SpotifyRequestBudgetRepository, SpotifyRequestBudget, SpotifyHttp, SpotifyAccountsClient, SpotifyCapabilitiesService, SpotifyClient],
  exports: [SpotifyClient, SpotifyAccountsClient, SpotifyCapabilitiesService, SpotifyRateLimiter, SpotifyRequestBudget],
})
export class SpotifyModule {}
