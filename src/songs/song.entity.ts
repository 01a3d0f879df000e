import { Opt, Check, DecimalType, Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { SongRepository } from './song.repository';

export { AUDIO_FEATURES, BASE_FEATURES, roundFeature } from './audio-features';
export type { AudioFeature } from './audio-features';

const feature = (precision: number, scale: number) =>
  ({ type: new DecimalType('number'), precision, scale, nullable: true }) as const;

@Entity({ tableName: 'songs', repository: () => SongRepository })
@Index({
  name: 'idx_songs_spotify_track_id',
  expression: 'create index "idx_songs_spotify_track_id" on "songs" ("spotify_track_id") where spotify_track_id is not null',
})
@Index({ name: 'idx_songs_spotify_sync', properties: ['spotifyLastSync', 'audioFeaturesSynced'] })
@Index({
  name: 'idx_songs_popularity',
  expression: 'create index "idx_songs_popularity" on "songs" ("spotify_popularity") where spotify_popularity is not null',
})
@Index({ name: 'idx_songs_created_at', properties: ['createdAt', 'id'] })
export class Song {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Property({ length: 500 })
  title!: string;

  @Property({ length: 500 })
  artist!: string;

  @Property({ length: 500, nullable: true })
  album?: string | null;

  @Property({ type: 'integer', nullable: true })
  @Check({ name: 'songs_duration_ms_check', expression: 'duration_ms > 0' })
  durationMs?: number | null;

  @Property({ length: 12, nullable: true })
  isrc?: string | null;

  @Property(feature(4, 3))
  @Check({ name: 'songs_energy_check', expression: 'energy >= 0 AND energy <= 1' })
  energy?: number | null;

  @Property(feature(4, 3))
  @Check({ name: 'songs_danceability_check', expression: 'danceability >= 0 AND danceability <= 1' })
  danceability?: number | null;

  @Property(feature(4, 3))
  @Check({ name: 'songs_valence_check', expression: 'valence >= 0 AND valence <= 1' })
  valence?: number | null;

  @Property(feature(4, 3))
  @Check({ name: 'songs_acousticness_check', expression: 'acousticness >= 0 AND acousticness <= 1' })
  acousticness?: number | null;

  @Property(feature(4, 3))
  @Check({ name: 'songs_instrumentalness_check', expression: 'instrumentalness >= 0 AND instrumentalness <= 1' })
  instrumentalness?: number | null;

  @Property({ columnType: 'timestamp', defaultRaw: 'CURRENT_TIMESTAMP' })
  createdAt: Date & Opt = new Date();

  @Property({ columnType: 'timestamp', defaultRaw: 'CURRENT_TIMESTAMP', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();

  // Migration 1 of the seed schema
  @Property({ length: 22, nullable: true })
  @Unique({ name: 'songs_spotify_track_id_key' })
  spotifyTrackId?: string | null;

  @Property({ columnType: 'timestamp', nullable: true })
  spotifyLastSync?: Date | null;

  @Property({ type: 'integer', nullable: true })
  @Check({ name: 'songs_spotify_popularity_check', expression: 'spotify_popularity >= 0 AND spotify_popularity <= 100' })
  spotifyPopularity?: number | null;

  @Property({ type: 'text', nullable: true })
  spotifyPreviewUrl?: string | null;

  @Property({ type: 'text', nullable: true })
  spotifyExternalUrl?: string | null;

  @Property({ type: 'boolean', nullable: true, default: false })
  audioFeaturesSynced?: boolean | null = false;

  @Property({ columnType: 'timestamp', nullable: true })
  lastPopularityUpdate?: Date | null;

  @Property(feature(3, 2))
  @Check({ name: 'songs_speechiness_check', expression: 'speechiness >= 0 AND speechiness <= 1' })
  speechiness?: number | null;

  @Property(feature(3, 2))
  @Check({ name: 'songs_liveness_check', expression: 'liveness >= 0 AND liveness <= 1' })
  liveness?: number | null;

  @Property(feature(5, 2))
  loudness?: number | null;

  /** Spotify no longer knows the linked id: not fetched again until relinked (additive). */
  @Property({ columnType: 'timestamp', nullable: true })
  spotifyTrackGoneAt?: Date | null;

  /** Consecutive failed syncs of this song; cleared by a successful one (Migration20261130000800). */
  @Property({ type: 'integer', default: 0 })
  spotifySyncFailures: number & Opt = 0;

  /** A failing song backs off: stale runs skip it until then. */
  @Property({ columnType: 'timestamp', nullable: true })
  spotifySyncNotBefore?: Date | null;

  @Property({ type: 'text', nullable: true })
  spotifySyncFailureReason?: string | null;
}
