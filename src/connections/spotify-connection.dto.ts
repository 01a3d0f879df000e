import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ConnectionSummary } from './spotify-connection.store';

export class AuthorizeResponse {
  @ApiProperty({
    description: 'Send the user here; Spotify redirects back to /auth/spotify/callback',
    example:
      'https://accounts.spotify.com/authorize?client_id=…&response_type=code&redirect_uri=…&scope=user-library-read&state=…&code_challenge=…&code_challenge_method=S256',
  })
  authorizeUrl!: string;

  @ApiProperty({
    format: 'uuid',
    description:
      'Keep it in the user’s session: with SPOTIFY_CONNECT_RETURN_URL the browser comes back with attempt=<this id> ' +
      '(signed); a return whose attempt or userId is not the logged-in user’s own must be refused and disconnected',
    example: '0b8e6f4c-1c5e-4a57-9a4e-6f1d2b3c4d5e',
  })
  attemptId!: string;

  @ApiProperty({ description: 'The URL (its state) cannot be used after this time', example: '2026-11-27T20:10:00.000Z' })
  expiresAt!: string;
}

export class SpotifyConnectionResponse {
  @ApiProperty({ description: 'True while a connection exists, whatever its status' })
  connected!: boolean;

  @ApiPropertyOptional({ example: 'wizzler' }) spotifyUserId?: string;
  @ApiPropertyOptional({ description: 'Scopes Spotify granted, space-separated', example: 'user-library-read' }) scope?: string;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    example: '2026-11-27T21:00:00.000Z',
    description: 'Null once the tokens were discarded (needs_reauth)',
  })
  tokenExpiresAt?: string | null;
  @ApiPropertyOptional({ enum: ['active', 'needs_reauth'], example: 'active' }) status?: 'active' | 'needs_reauth';
  @ApiPropertyOptional({ nullable: true, type: String, example: null }) statusReason?: string | null;
  @ApiPropertyOptional({ description: "Consent time + 6 months: Spotify's refresh-token limit", example: '2027-05-27T20:00:00.000Z' })
  reauthorizeBy?: string;

  static from(connection: ConnectionSummary | null): SpotifyConnectionResponse {
    if (!connection) return { connected: false };
    return {
      connected: true,
      spotifyUserId: connection.spotifyUserId,
      scope: connection.scope,
      tokenExpiresAt: connection.status === 'active' ? connection.tokenExpiresAt.toISOString() : null,
      status: connection.status,
      statusReason: connection.statusReason,
      reauthorizeBy: reauthorizeBy(connection.authorizedAt).toISOString(),
    };
  }
}

export class ConnectedResponse {
  @ApiProperty({ enum: ['connected'] }) status!: 'connected';
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ type: SpotifyConnectionResponse }) connection!: SpotifyConnectionResponse;
}

/**
 * Spotify's refresh tokens stop working 6 months after the consent. Calendar months in UTC,
 * clamped to the month's last day (31 Aug → 28/29 Feb), so the date is never later than Spotify's.
 */
export function reauthorizeBy(authorizedAt: Date): Date {
  const result = new Date(authorizedAt.getTime());
  const day = result.getUTCDate();
  result.setUTCDate(1);
  result.setUTCMonth(result.getUTCMonth() + 6);
  const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
  result.setUTCDate(Math.min(day, lastDay));
  return result;
}
