import { Check, Entity, OneToOne, Opt, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { User } from '../users/user.entity';

export type SpotifyConnectionStatus = 'active' | 'needs_reauth';

/** Tokens are ciphertext here; only the token store in src/connections reads or writes them. */
@Entity({ tableName: 'spotify_connections' })
export class SpotifyConnection {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @OneToOne(() => User, {
    owner: true,
    fieldName: 'user_id',
    deleteRule: 'cascade',
    updateRule: 'no action',
    foreignKeyName: 'spotify_connections_user_id_fkey',
    unique: 'spotify_connections_user_id_key',
  })
  user!: User;

  @Property({ length: 255 })
  @Unique({ name: 'spotify_connections_spotify_user_id_key' })
  spotifyUserId!: string;

  @Property({ type: 'text', lazy: true })
  accessToken!: string;

  @Property({ type: 'text', lazy: true })
  refreshToken!: string;

  @Property({ columnType: 'timestamp' })
  tokenExpiresAt!: Date;

  @Property({ type: 'text' })
  scope!: string;

  @Property({ length: 20, default: 'active' })
  @Check({ name: 'spotify_connections_status_check', expression: "status = 'active' OR status = 'needs_reauth'" })
  status: SpotifyConnectionStatus & Opt = 'active';

  @Property({ type: 'text', nullable: true })
  statusReason?: string | null;

  /** The user's consent; Spotify's refresh tokens die 6 months after it, whatever refreshes happen. */
  @Property({ columnType: 'timestamp', defaultRaw: 'CURRENT_TIMESTAMP' })
  authorizedAt: Date & Opt = new Date();

  @Property({ columnType: 'timestamp', nullable: true, defaultRaw: 'CURRENT_TIMESTAMP' })
  createdAt?: Date = new Date();

  @Property({ columnType: 'timestamp', nullable: true, defaultRaw: 'CURRENT_TIMESTAMP', onUpdate: () => new Date() })
  updatedAt?: Date = new Date();
}
