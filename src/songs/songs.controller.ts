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

@ApiTags('songs')
@ApiBearerAuth('api-key')
@Controller('v1/songs')
export class SongsController {
  constructor(private readonly songs: SongsService) {}

  @Post()
  @ApiCreatedResponse({ type: SongResponse })
  async create(@Body() dto: CreateSongDto): Promise<SongResponse> {
    return SongResponse.from(await this.songs.create(dto));
  }

  @Post('bulk')
  @HttpCode(200)
  @ApiOkResponse({ type: BulkUpsertResponse, description: 'Upsert by spotifyTrackId, else by isrc' })
  bulk(@Body() dto: BulkUpsertSongsDto): Promise<BulkUpsertResponse> {
    return this.songs.bulkUpsert(dto.songs);
  }

  @Get()
  @ApiOkResponse({ type: SongPage })
  list(@Query() query: ListSongsQuery): Promise<SongPage> {
    return this.songs.list(query);
  }

  @Get('by-spotify-id/:trackId')
  @ApiOkResponse({ type: SongResponse })
  async getBySpotifyId(@Param() { trackId }: SpotifyTrackIdParam): Promise<SongResponse> {
    return SongResponse.from(await this.songs.getBySpotifyId(trackId));
  }

  @Get(':id')
  @ApiOkResponse({ type: SongResponse })
  async get(@Param() { id }: SongIdParam): Promise<SongResponse> {
    return SongResponse.from(await this.songs.get(id));
  }

  @Patch(':id')
  @ApiOkResponse({ type: SongResponse })
  async update(@Param() { id }: SongIdParam, @Body() dto: UpdateSongDto): Promise<SongResponse> {
    return SongResponse.from(await this.songs.update(id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  async delete(@Param() { id }: SongIdParam): Promise<void> {
    await this.songs.delete(id);
  }
}
