import { ApiProperty } from '@nestjs/swagger';
import type { CapabilitiesReport } from './spotify.types';
import { RequestBudgetResponse } from './budget/request-budget.dto';
import type { BudgetReport } from './budget/spotify-request-budget';

const UNKNOWN = 'null until it is known (auto tier)';

export class CapabilityAvailabilityResponse {
  @ApiProperty({ type: Boolean, nullable: true, description: `GET /tracks?ids= (50 a request); ${UNKNOWN}` })
  batchTracks!: boolean | null;

  @ApiProperty({ type: Boolean, nullable: true, description: `the track popularity field; ${UNKNOWN}` })
  popularity!: boolean | null;

  @ApiProperty({ type: Boolean, nullable: true, description: `GET /audio-features; ${UNKNOWN}` })
  audioFeatures!: boolean | null;

  @ApiProperty({ type: Boolean, nullable: true, description: `30-second preview URLs (often null even where available); ${UNKNOWN}` })
  previewUrls!: boolean | null;
}

export class CappedPauseResponse {
  @ApiProperty({ enum: ['retry_after_capped'], example: 'retry_after_capped', description: 'Spotify asked for a longer wait than SPOTIFY_MAX_RETRY_AFTER_S' })
  reason!: 'retry_after_capped';

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-30T13:00:00.000Z', description: 'when Spotify work resumes' })
  until!: string;

  @ApiProperty({ example: 31536000, description: "Spotify's Retry-After, in seconds" })
  requestedSeconds!: number;

  @ApiProperty({ example: 3600, description: 'the pause actually kept (SPOTIFY_MAX_RETRY_AFTER_S)' })
  cappedSeconds!: number;
}

export class CapabilitiesResponse {
  @ApiProperty({
    enum: ['extended', 'development', 'unknown'],
    example: 'development',
    description:
      'development once batch track fetches are known to be forbidden; extended once batch fetches and popularity are known to work',
  })
  tier!: 'extended' | 'development' | 'unknown';

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-11-27T20:00:02.000Z',
    description: 'newest time anything was learnt; null before, and when SPOTIFY_ACCESS_TIER is set explicitly',
  })
  learnedAt!: string | null;

  @ApiProperty({ type: CapabilityAvailabilityResponse })
  available!: CapabilityAvailabilityResponse;

  @ApiProperty({
    type: CappedPauseResponse,
    nullable: true,
    description: 'a running pause that was cut to SPOTIFY_MAX_RETRY_AFTER_S because Spotify asked for longer; null otherwise',
  })
  pause!: CappedPauseResponse | null;

  @ApiProperty({ type: RequestBudgetResponse, description: 'the shared Spotify request budget (SPOTIFY_REQUEST_BUDGET)' })
  budget!: RequestBudgetResponse;

  static from(report: CapabilitiesReport, budget: BudgetReport): CapabilitiesResponse {
    return {
      tier: report.tier,
      learnedAt: report.learnedAt?.toISOString() ?? null,
      available: { ...report.available },
      pause: report.pause ? { ...report.pause, until: report.pause.until.toISOString() } : null,
      budget: RequestBudgetResponse.from(budget),
    };
  }
}
