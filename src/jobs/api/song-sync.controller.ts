import { Body, Controller, Delete, HttpCode, Param, Post, Put, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiConflictResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { SongIdParam, SongResponse } from '../../songs/songs.dto';
import { LinkSongDto, MatchResponse } from './song-sync.dto';
import { SongLinkService } from '../../songs/song-link.service';
import { SyncJobResponse } from './sync-jobs.dto';
import { SyncJobsService } from '../sync-jobs.service';
import { ApiEndpoint } from '../../openapi/api-endpoint.decorator';
import { Idempotent } from '../../idempotency/idempotent.decorator';

@ApiTags('songs')
@ApiBearerAuth('api-key')
@Controller('v1/songs/:id/spotify')
export class SongSyncController {
  constructor(
    private readonly links: SongLinkService,
    private readonly jobs: SyncJobsService,
  ) {}

  @ApiEndpoint('matchSong', 'Find the song’s Spotify track (ISRC first, then title, artist and duration) and link it', { errors: { 502: 'Spotify could not answer', 503: 'Spotify asked us to slow down: retry after Retry-After seconds' } })
  @Idempotent()
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
  @Idempotent()
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
