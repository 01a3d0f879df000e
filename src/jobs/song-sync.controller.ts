import { Body, Controller, Delete, HttpCode, Param, Post, Put, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiConflictResponse, ApiNoContentResponse, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import type { Response } from 'express';
import { SongIdParam, SongResponse, SPOTIFY_TRACK_ID } from '../songs/songs.dto';
import { SongLinkService } from './song-link.service';
import { SyncJobResponse } from './sync-jobs.dto';
import { SyncJobsService } from './sync-jobs.service';
import { ApiEndpoint } from '../openapi/api-endpoint.decorator';

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

@ApiTags('songs')
@ApiBearerAuth('api-key')
@Controller('v1/songs/:id/spotify')
export class SongSyncController {
  constructor(
    private readonly links: SongLinkService,
    private readonly jobs: SyncJobsService,
  ) {}

  @ApiEndpoint('matchSong', 'Find the song’s Spotify track (ISRC first, then title, artist and duration) and link it', { errors: { 502: 'Spotify could not answer', 503: 'Spotify asked us to slow down: retry after Retry-After seconds' } })
  @Post('match')
  @HttpCode(200)
  @ApiOkResponse({ type: MatchResponse, description: 'matched: true and the linked song, or matched: false and why not' })
  @ApiConflictResponse({ description: 'The matching track is linked to another song' })
  async match(@Param() { id }: SongIdParam): Promise<MatchResponse> {
    const outcome = await this.links.match(id);
    const { song, ...rest } = outcome;
    return { ...rest, song: SongResponse.from(song) };
  }

  @ApiEndpoint('linkSong', 'Link the song to a Spotify track by hand (relinking clears the old track’s data)')
  @Put()
  @ApiOkResponse({ type: SongResponse })
  @ApiConflictResponse({ description: 'The track is linked to another song' })
  async link(@Param() { id }: SongIdParam, @Body() dto: LinkSongDto): Promise<SongResponse> {
    return SongResponse.from(await this.links.link(id, dto.spotifyTrackId));
  }

  @ApiEndpoint('unlinkSong', 'Unlink the song from its Spotify track')
  @Delete()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Unlinked; the Spotify data it brought is cleared' })
  async unlink(@Param() { id }: SongIdParam): Promise<void> {
    await this.links.unlink(id);
  }

  @ApiEndpoint('syncSong', 'Queue a track_sync of this song (deduplicated like any job)', { errors: { 409: 'The song is not linked to a Spotify track' } })
  @Post('sync')
  @ApiAcceptedResponse({ type: SyncJobResponse, description: 'A track_sync of this song, queued' })
  @ApiOkResponse({ type: SyncJobResponse, description: 'An identical job still pending or running' })
  async sync(@Param() { id }: SongIdParam, @Res({ passthrough: true }) res: Response): Promise<SyncJobResponse> {
    await this.links.requireLinked(id);
    const { job, created } = await this.jobs.create({ type: 'track_sync', targetId: id });
    res.status(created ? 202 : 200);
    return SyncJobResponse.from(job);
  }
}
