import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { SongResponse, SPOTIFY_TRACK_ID } from '../../songs/songs.dto';

export class LinkSongDto {
  @ApiProperty({ example: '4u7EnebtmKWzUH433cf5Qv', pattern: SPOTIFY_TRACK_ID.source, description: '22 base-62 characters' })
  @Matches(SPOTIFY_TRACK_ID, { message: 'spotifyTrackId must be 22 base-62 characters' })
  spotifyTrackId!: string;
}

export class MatchResponse {
  @ApiProperty({ example: true }) matched!: boolean;
  @ApiPropertyOptional({ enum: ['isrc', 'search'], example: 'isrc' }) via?: 'isrc' | 'search';
  @ApiPropertyOptional({ example: 0.97 }) score?: number;
  @ApiPropertyOptional({ enum: ['no_candidate', 'only_excluded_versions', 'duration_mismatch', 'no_close_match'], example: 'no_candidate' })
  reason?: string;
  @ApiPropertyOptional({ example: 'Only live or karaoke versions were found' }) detail?: string;
  @ApiProperty({ type: SongResponse }) song!: SongResponse;
}
