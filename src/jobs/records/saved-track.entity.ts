import { Entity, EntityRepositoryType, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { SavedTrackRepository } from './saved-track.repository';
import { Song } from '../../songs/song.entity';
import { User } from '../../users/user.entity';

/** A track in a user's Spotify library as last imported; removed_at set when it left the library. */
@Entity({ tableName: 'spotify_saved_tracks', repository: () => SavedTrackRepository })
@Index({
  name: 'idx_spotify_saved_tracks_song',
  expression:
    'create index "idx_spotify_saved_tracks_song" on "spotify_saved_tracks" ("song_id") where removed_at is null and song_id is not null',
})
export class SavedTrack {
  [EntityRepositoryType]?: SavedTrackRepository;

  @ManyToOne(() => User, {
    primary: true,
    fieldName: 'user_id',
    deleteRule: 'cascade',
    updateRule: 'no action',
    foreignKeyName: 'spotify_saved_tracks_user_id_fkey',
  })
  user!: User;

  @PrimaryKey({ length: 22 })
  spotifyTrackId!: string;

  @ManyToOne(() => Song, {
    fieldName: 'song_id',
    nullable: true,
    deleteRule: 'set null',
    updateRule: 'no action',
    foreignKeyName: 'spotify_saved_tracks_song_id_fkey',
  })
  song?: Song | null;

  @Property({ columnType: 'timestamp' })
  addedAt!: Date;

  @Property({ columnType: 'timestamp' })
  lastSeenAt!: Date;

  @Property({ columnType: 'timestamp', nullable: true })
  removedAt?: Date | null;
}
