import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { Page } from '../common/cursor';
import { flattenValidationErrors, MAX_LISTED_PROBLEMS, presortBody } from '../common/validation';
import { AUDIO_FEATURES, roundFeature, Song } from './song.entity';
import { IndexedSongColumns, SongColumns, SongRepository } from './song.repository';
import { BulkUpsertResponse, CreateSongDto, ListSongsQuery, SongResponse, UpdateSongDto } from './songs.dto';

const COLUMN_BY_FIELD = {
  title: 'title',
  artist: 'artist',
  album: 'album',
  durationMs: 'duration_ms',
  isrc: 'isrc',
  spotifyTrackId: 'spotify_track_id',
} as const;

/** The caller-writable fields of a DTO as columns; only fields present in the DTO. */
function toColumns(dto: CreateSongDto | UpdateSongDto): SongColumns {
  const columns: SongColumns = {};
  for (const [field, column] of Object.entries(COLUMN_BY_FIELD)) {
    const value = (dto as Record<string, unknown>)[field];
    if (value !== undefined) columns[column] = value as string | number | null;
  }
  for (const feature of AUDIO_FEATURES) {
    const value = dto[feature];
    if (value !== undefined) columns[feature] = value === null ? null : roundFeature(feature, value);
  }
  return columns;
}

const hasFeatures = (dto: CreateSongDto | UpdateSongDto) => AUDIO_FEATURES.some((f) => dto[f] !== undefined);

const VALIDATION_SLICE = 50;

@Injectable()
export class SongsService {
  constructor(
    private readonly em: EntityManager,
    private readonly songs: SongRepository,
  ) {}

  async create(dto: CreateSongDto): Promise<Song> {
    await this.assertTrackIdFree(dto.spotifyTrackId);
    const song = this.em.create(Song, this.toEntityData(dto) as Song);
    this.songs.markFeaturesFromCaller(song);
    try {
      await this.em.persistAndFlush(song);
    } catch (error) {
      throw this.conflict(error);
    }
    return song;
  }

  async get(id: string): Promise<Song> {
    const song = await this.songs.findOne({ id });
    if (!song) throw new NotFoundException(`Song ${id} not found`);
    return song;
  }

  async getBySpotifyId(trackId: string): Promise<Song> {
    const song = await this.songs.findOne({ spotifyTrackId: trackId });
    if (!song) throw new NotFoundException(`No song is linked to Spotify track ${trackId}`);
    return song;
  }

  async update(id: string, dto: UpdateSongDto): Promise<Song> {
    const song = await this.get(id);
    this.em.assign(song, this.toEntityData(dto));
    if (hasFeatures(dto)) this.songs.markFeaturesFromCaller(song);
    await this.em.flush();
    return song;
  }

  async delete(id: string): Promise<void> {
    const deleted = await this.songs.nativeDelete({ id });
    if (!deleted) throw new NotFoundException(`Song ${id} not found`);
  }

  /** Which of these song ids exist. */
  async existing(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const found = await this.songs.find({ id: { $in: ids } }, { fields: ['id'] });
    return new Set(found.map((song) => song.id));
  }

  list(query: ListSongsQuery): Promise<Page<SongResponse>> {
    return this.songs.list(query);
  }

  /**
   * Every row is validated before anything is written; a later row repeating an earlier row's
   * key (Spotify id, else ISRC) is rejected. Valid rows are written even when others are not.
   */
  async bulkUpsert(rows: unknown[]): Promise<BulkUpsertResponse> {
    const rejected: BulkUpsertResponse['rejected'] = [];
    const accepted: IndexedSongColumns[] = [];
    const seenKeys = new Set<string>();
    // validated a slice at a time, yielding between slices: 1,000 rows in one go hold the event loop for hundreds of ms
    const dtos: Awaited<ReturnType<SongsService['validateRow']>>[] = [];
    for (let i = 0; i < rows.length; i += VALIDATION_SLICE) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      dtos.push(...(await Promise.all(rows.slice(i, i + VALIDATION_SLICE).map((row) => this.validateRow(row)))));
    }
    dtos.forEach((result, index) => {
      if ('reasons' in result) {
        rejected.push({ index, reasons: result.reasons });
        return;
      }
      const dto = result.dto;
      const key = dto.spotifyTrackId ? `spotify:${dto.spotifyTrackId}` : dto.isrc ? `isrc:${dto.isrc}` : null;
      if (key && seenKeys.has(key)) {
        rejected.push({ index, reasons: [`repeats the ${key.split(':')[0] === 'spotify' ? 'spotifyTrackId' : 'isrc'} of an earlier row`] });
        return;
      }
      if (key) seenKeys.add(key);
      accepted.push({ index, columns: toColumns(dto) });
    });
    if (!accepted.length) return { created: 0, updated: 0, rejected };
    const written = await this.songs.bulkUpsert(accepted);
    return {
      created: written.created,
      updated: written.updated,
      rejected: [...rejected, ...written.rejected].sort((a, b) => a.index - b.index),
    };
  }

  private async validateRow(row: unknown): Promise<{ dto: CreateSongDto } | { reasons: string[] }> {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      return { reasons: ['must be an object'] };
    }
    // unknown keys and misplaced objects are refused before class-transformer copies them
    const { rest, problems } = presortBody(CreateSongDto, row as Record<string, unknown>);
    const dto = plainToInstance(CreateSongDto, rest);
    const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
    if (!errors.length && !problems.length) return { dto };
    const reasons = [...flattenValidationErrors(errors), ...problems].flatMap((e) => e.reasons);
    return { reasons: reasons.length > MAX_LISTED_PROBLEMS ? [...reasons.slice(0, MAX_LISTED_PROBLEMS), `and ${reasons.length - MAX_LISTED_PROBLEMS} more`] : reasons };
  }

  private toEntityData(dto: CreateSongDto | UpdateSongDto): Partial<Song> {
    const columns = toColumns(dto);
    const data: Record<string, unknown> = {};
    for (const [field, column] of Object.entries(COLUMN_BY_FIELD)) {
      if (column in columns) data[field] = columns[column];
    }
    for (const feature of AUDIO_FEATURES) if (feature in columns) data[feature] = columns[feature];
    return data as Partial<Song>;
  }

  private async assertTrackIdFree(trackId?: string | null): Promise<void> {
    if (trackId && (await this.songs.count({ spotifyTrackId: trackId }))) {
      throw new ConflictException(`Spotify track ${trackId} is already linked to another song`);
    }
  }

  private conflict(error: unknown): unknown {
    return error instanceof UniqueConstraintViolationException
      ? new ConflictException('Spotify track is already linked to another song')
      : error;
  }
}
