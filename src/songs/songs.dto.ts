import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsISO8601,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidationOptions,
  registerDecorator,
} from 'class-validator';
import type { Song } from './song.entity';
import { OptionalNotNull } from '../common/validation';

export const SPOTIFY_TRACK_ID = /^[0-9A-Za-z]{22}$/;
export const ISRC = /^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$/;
export const SONG_SORTS = ['popularity', '-popularity', 'title', '-title', 'createdAt', '-createdAt', 'lastSync', '-lastSync'] as const;
export type SongSort = (typeof SONG_SORTS)[number];

/** Spotify-owned fields: named in the DTO only so that a write gets a clear reason. */
function ReadOnly(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'readOnly',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} is read-only: Spotify sync sets it`, ...options },
      validator: { validate: (value: unknown) => value === undefined },
    });
}

const nullable = (property: string) => ValidateIf((o: Record<string, unknown>) => o[property] !== null);
const feature = (max = 1, min = 0) => [IsNumber({ allowNaN: false, allowInfinity: false }), Min(min), Max(max)];
const apply = (...decorators: PropertyDecorator[]): PropertyDecorator => (target, key) =>
  decorators.forEach((d) => d(target, key));

class SpotifyOwnedFields {
  @ReadOnly() spotifyPopularity?: never;
  @ReadOnly() spotifyPreviewUrl?: never;
  @ReadOnly() spotifyExternalUrl?: never;
  @ReadOnly() spotifyLastSync?: never;
  @ReadOnly() lastPopularityUpdate?: never;
  @ReadOnly() audioFeaturesSynced?: never;
  @ReadOnly() id?: never;
  @ReadOnly() createdAt?: never;
  @ReadOnly() updatedAt?: never;
}

/** Fields a caller may write; audio features written by a caller are not Spotify's. */
class WritableSongFields extends SpotifyOwnedFields {
  @ApiPropertyOptional({ type: String, example: 'A Night at the Opera', nullable: true, maxLength: 500 })
  @IsOptional() @nullable('album') @IsString() @MaxLength(500)
  album?: string | null;

  @ApiPropertyOptional({ type: 'integer', example: 354_320, nullable: true, minimum: 1, maximum: 86_400_000 })
  @IsOptional() @nullable('durationMs') @IsInt() @Min(1) @Max(86_400_000)
  durationMs?: number | null;

  @ApiPropertyOptional({ type: String, example: 'GBUM71029604', nullable: true, pattern: ISRC.source, description: 'ISRC, 12 characters' })
  @IsOptional() @nullable('isrc') @IsString() @Matches(ISRC, { message: 'isrc must be 12 characters: CC XXX YY NNNNN' })
  isrc?: string | null;

  @ApiPropertyOptional({ type: Number, example: 0.41, nullable: true, minimum: 0, maximum: 1, description: 'Stored with 3 decimals' })
  @IsOptional() @nullable('energy') @apply(...feature())
  energy?: number | null;

  @ApiPropertyOptional({ type: Number, example: 0.39, nullable: true, minimum: 0, maximum: 1 })
  @IsOptional() @nullable('danceability') @apply(...feature())
  danceability?: number | null;

  @ApiPropertyOptional({ type: Number, example: 0.22, nullable: true, minimum: 0, maximum: 1 })
  @IsOptional() @nullable('valence') @apply(...feature())
  valence?: number | null;

  @ApiPropertyOptional({ type: Number, example: 0.288, nullable: true, minimum: 0, maximum: 1 })
  @IsOptional() @nullable('acousticness') @apply(...feature())
  acousticness?: number | null;

  @ApiPropertyOptional({ type: Number, example: 0, nullable: true, minimum: 0, maximum: 1 })
  @IsOptional() @nullable('instrumentalness') @apply(...feature())
  instrumentalness?: number | null;

  @ApiPropertyOptional({ type: Number, example: 0.05, nullable: true, minimum: 0, maximum: 1, description: 'Stored with 2 decimals (schema: DECIMAL(3,2))' })
  @IsOptional() @nullable('speechiness') @apply(...feature())
  speechiness?: number | null;

  @ApiPropertyOptional({ type: Number, example: 0.24, nullable: true, minimum: 0, maximum: 1, description: 'Stored with 2 decimals (schema: DECIMAL(3,2))' })
  @IsOptional() @nullable('liveness') @apply(...feature())
  liveness?: number | null;

  @ApiPropertyOptional({ type: Number, example: -9.96, nullable: true, minimum: -60, maximum: 5, description: 'dB, stored with 2 decimals' })
  @IsOptional() @nullable('loudness') @apply(...feature(5, -60))
  loudness?: number | null;
}

export class CreateSongDto extends WritableSongFields {
  @ApiProperty({ example: 'Bohemian Rhapsody', maxLength: 500 })
  @IsString() @Length(1, 500)
  title!: string;

  @ApiProperty({ example: 'Queen', maxLength: 500 })
  @IsString() @Length(1, 500)
  artist!: string;

  @ApiPropertyOptional({ type: String, example: '4u7EnebtmKWzUH433cf5Qv', nullable: true, pattern: SPOTIFY_TRACK_ID.source, description: '22 base-62 characters' })
  @IsOptional() @nullable('spotifyTrackId') @IsString()
  @Matches(SPOTIFY_TRACK_ID, { message: 'spotifyTrackId must be 22 base-62 characters' })
  spotifyTrackId?: string | null;
}

export class UpdateSongDto extends WritableSongFields {
  @ApiPropertyOptional({ example: 'Bohemian Rhapsody - Remastered 2011', maxLength: 500 })
  @OptionalNotNull() @IsString() @Length(1, 500)
  title?: string;

  @ApiPropertyOptional({ example: 'Queen', maxLength: 500 })
  @OptionalNotNull() @IsString() @Length(1, 500)
  artist?: string;

  @ReadOnly({ message: 'spotifyTrackId is changed through PUT or DELETE /v1/songs/:id/spotify' })
  spotifyTrackId?: never;
}

export class BulkUpsertSongsDto {
  @ApiProperty({ type: [CreateSongDto], description: 'Up to 1,000 songs; each row is validated on its own' })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(1000)
  songs!: unknown[];
}

export class BulkRejectedRow {
  @ApiProperty({ example: 3, description: 'Position of the row in songs' }) index!: number;
  @ApiProperty({ type: [String], example: ['title must be longer than or equal to 1 characters'] }) reasons!: string[];
}

export class BulkUpsertResponse {
  @ApiProperty({ example: 998 }) created!: number;
  @ApiProperty({ example: 1 }) updated!: number;
  @ApiProperty({ type: [BulkRejectedRow] })
  rejected!: { index: number; reasons: string[] }[];
}

const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' || value === true ? true : value === 'false' || value === false ? false : value;

export class ListSongsQuery {
  // optional filters carry no `example`: Swagger UI would pre-fill it and Try it out would filter silently
  @ApiPropertyOptional({ description: 'Matches title or artist, case-insensitive, e.g. queen' })
  @IsOptional() @IsString() @Length(1, 200)
  q?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(100)
  minPopularity?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(100)
  maxPopularity?: number;

  @ApiPropertyOptional({ description: 'Has Spotify data (spotifyLastSync set) or not' })
  @IsOptional() @Transform(toBoolean) @IsIn([true, false], { message: 'synced must be true or false' })
  synced?: boolean;

  @ApiPropertyOptional()
  @IsOptional() @Transform(toBoolean) @IsIn([true, false], { message: 'audioFeaturesSynced must be true or false' })
  audioFeaturesSynced?: boolean;

  @ApiPropertyOptional({ description: 'Songs synced before this time (never-synced songs excluded), e.g. 2026-11-01T00:00:00Z' })
  @IsOptional() @IsISO8601({ strict: true })
  staleBefore?: string;

  @ApiPropertyOptional({ enum: SONG_SORTS, default: '-createdAt' })
  @IsOptional() @IsIn(SONG_SORTS)
  sort?: SongSort;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page, with the same filters and sort' })
  @IsOptional() @IsString() @MaxLength(1000)
  cursor?: string;
}

export class SongIdParam {
  @ApiProperty({ format: 'uuid', example: '7d9f0c8e-3b1a-4c2e-9f4d-2a6b8c0e1f35' })
  @IsUUID()
  id!: string;
}

export class SpotifyTrackIdParam {
  @ApiProperty({ example: '4u7EnebtmKWzUH433cf5Qv', pattern: SPOTIFY_TRACK_ID.source })
  @Matches(SPOTIFY_TRACK_ID, { message: 'trackId must be 22 base-62 characters' })
  trackId!: string;
}

export class SongResponse {
  @ApiProperty({ format: 'uuid', example: '7d9f0c8e-3b1a-4c2e-9f4d-2a6b8c0e1f35' }) id!: string;
  @ApiProperty({ example: 'Bohemian Rhapsody' }) title!: string;
  @ApiProperty({ example: 'Queen' }) artist!: string;
  @ApiProperty({ nullable: true, type: String, example: 'A Night at the Opera' }) album!: string | null;
  @ApiProperty({ nullable: true, type: Number, example: 354_320 }) durationMs!: number | null;
  @ApiProperty({ nullable: true, type: String, example: 'GBUM71029604' }) isrc!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '4u7EnebtmKWzUH433cf5Qv' }) spotifyTrackId!: string | null;
  @ApiProperty({ nullable: true, type: Number, example: 83 }) spotifyPopularity!: number | null;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'Often null: Spotify rarely provides previews now' }) spotifyPreviewUrl!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'https://open.spotify.com/track/4u7EnebtmKWzUH433cf5Qv' }) spotifyExternalUrl!: string | null;
  @ApiProperty({ example: true }) audioFeaturesSynced!: boolean;
  @ApiProperty({ nullable: true, type: String, example: '2026-11-20T08:15:00.000Z' }) spotifyLastSync!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '2026-11-20T08:15:00.000Z' }) lastPopularityUpdate!: string | null;
  @ApiProperty({ nullable: true, type: Number, example: 0.41 }) energy!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 0.39 }) danceability!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 0.22 }) valence!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 0.288 }) acousticness!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 0 }) instrumentalness!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 0.05 }) speechiness!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 0.24 }) liveness!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: -9.96 }) loudness!: number | null;
  @ApiProperty({ example: '2026-11-01T10:00:00.000Z' }) createdAt!: string;
  @ApiProperty({ example: '2026-11-20T08:15:00.000Z' }) updatedAt!: string;

  static from(song: Song): SongResponse {
    const iso = (d?: Date | null) => (d ? d.toISOString() : null);
    const num = (n?: number | null) => (n === undefined || n === null ? null : Number(n));
    return {
      id: song.id,
      title: song.title,
      artist: song.artist,
      album: song.album ?? null,
      durationMs: song.durationMs ?? null,
      isrc: song.isrc ?? null,
      spotifyTrackId: song.spotifyTrackId ?? null,
      spotifyPopularity: song.spotifyPopularity ?? null,
      spotifyPreviewUrl: song.spotifyPreviewUrl ?? null,
      spotifyExternalUrl: song.spotifyExternalUrl ?? null,
      audioFeaturesSynced: song.audioFeaturesSynced ?? false,
      spotifyLastSync: iso(song.spotifyLastSync),
      lastPopularityUpdate: iso(song.lastPopularityUpdate),
      energy: num(song.energy),
      danceability: num(song.danceability),
      valence: num(song.valence),
      acousticness: num(song.acousticness),
      instrumentalness: num(song.instrumentalness),
      speechiness: num(song.speechiness),
      liveness: num(song.liveness),
      loudness: num(song.loudness),
      createdAt: song.createdAt.toISOString(),
      updatedAt: song.updatedAt.toISOString(),
    };
  }
}

export class SongPage {
  @ApiProperty({ type: [SongResponse] }) items!: SongResponse[];
  @ApiProperty({ nullable: true, type: String, example: null, description: 'Pass as cursor for the next page; null on the last one' })
  nextCursor!: string | null;
}
