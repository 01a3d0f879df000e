import { ApiProperty } from '@nestjs/swagger';
import type { BudgetReport } from './spotify-request-budget';

export class RequestBudgetResponse {
  @ApiProperty({
    enum: ['fixed', 'auto', 'off'],
    example: 'auto',
    description: 'SPOTIFY_REQUEST_BUDGET: a fixed number, learnt (auto), or off (only the 429 pause)',
  })
  mode!: 'fixed' | 'auto' | 'off';

  @ApiProperty({ type: Number, nullable: true, example: 510, description: 'requests per rolling 30 s, configured or learnt so far; null when off' })
  per30s!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 497,
    description: 'permits taken in the last 30 s by every process of this Spotify client id; null when off or Redis is unreachable',
  })
  usedInWindow!: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 1, description: '429 answers in the last hour; null when off or Redis is unreachable' })
  rateLimitedLastHour!: number | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'end of the running 429 pause (no request is sent before it); null when none',
  })
  pausedUntil!: string | null;

  static from(report: BudgetReport): RequestBudgetResponse {
    return {
      mode: report.mode,
      per30s: report.per30s,
      usedInWindow: report.usedInWindow,
      rateLimitedLastHour: report.rateLimitedLastHour,
      pausedUntil: report.pausedUntil?.toISOString() ?? null,
    };
  }
}
