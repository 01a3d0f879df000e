import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  BulkUpsertResponse,
  BulkUpsertSongsDto,
  CreateSongDto,
  ListSongsQuery,
  SongIdParam,
  SongPage,
  SongResponse,
  SpotifyTrackIdParam,
  UpdateSongDto,
} from './songs.dto';
import { SongsService } from './songs.service';
import { ApiEndpoint } from '../openapi/api-endpoint.decorator';
import { Idempotent } from '../idempotency/idempotent.decorator';

@ApiTags('songs')
@ApiBearerAuth('api-key')
@Controller('v1/songs')
export class SongsController {
  constructor(private readonly songs: SongsService) {}

  @Idempotent()
  @Post()
  @ApiEndpoint('createSong', 'Add a song to the catalogue', { errors: { 409: 'spotifyTrackId is already linked to another song' } })
  @ApiCreatedResponse({ type: SongResponse })
  async create(@Body() dto: CreateSongDto): Promise<SongResponse> {
    return SongResponse.from(await this.songs.create(dto));
  }

  @Idempotent()
  @Post('bulk')
  @HttpCode(200)
  @ApiEndpoint('bulkUpsertSongs', 'Create or update up to 1,000 songs (by spotifyTrackId, else isrc); invalid rows are rejected one by one')
  @ApiOkResponse({ type: BulkUpsertResponse, description: 'Upsert by spotifyTrackId, else by isrc' })
  bulk(@Body() dto: BulkUpsertSongsDto): Promise<BulkUpsertResponse> {
    return this.songs.bulkUpsert(dto.songs);
  }

  @Get()
  @ApiEndpoint('listSongs', 'List songs, filtered and sorted, a keyset page at a time')
  @ApiOkResponse({ type: SongPage })
  list(@Query() query: ListSongsQuery): Promise<SongPage> {
    return this.songs.list(query);
  }

  @ApiEndpoint('getSongBySpotifyId', 'Find the song linked to a Spotify track')
  @Get('by-spotify-id/:trackId')
  @ApiOkResponse({ type: SongResponse })
  async getBySpotifyId(@Param() { trackId }: SpotifyTrackIdParam): Promise<SongResponse> {
    return SongResponse.from(await this.songs.getBySpotifyId(trackId));
  }

  @ApiEndpoint('getSong', 'Get a song')
  @Get(':id')
  @ApiOkResponse({ type: SongResponse })
  async get(@Param() { id }: SongIdParam): Promise<SongResponse> {
    return SongResponse.from(await this.songs.get(id));
  }

  @ApiEndpoint('updateSong', 'Change a song’s own fields (not its Spotify link or Spotify data)')
  @Patch(':id')
  @ApiOkResponse({ type: SongResponse })
  async update(@Param() { id }: SongIdParam, @Body() dto: UpdateSongDto): Promise<SongResponse> {
    return SongResponse.from(await this.songs.update(id, dto));
  }

  @ApiEndpoint('deleteSong', 'Delete a song')
  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  async delete(@Param() { id }: SongIdParam): Promise<void> {
    await this.songs.delete(id);
  }
}
