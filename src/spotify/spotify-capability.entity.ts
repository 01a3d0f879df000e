import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { Capability } from './spotify.types';

/** What Spotify lets this client id do, learnt from its answers to the app's own token (auto tier). */
@Entity({ tableName: 'spotify_capabilities' })
export class SpotifyCapabilityRecord {
  @PrimaryKey({ length: 255 })
  clientId!: string;

  @PrimaryKey({ length: 50 })
  capability!: Capability;

  @Property()
  available!: boolean;

  /** When the current value was first learnt. */
  @Property({ columnType: 'timestamp' })
  learnedAt!: Date;

  /** When Spotify last confirmed it; a forbidden capability is probed again once this is old. */
  @Property({ columnType: 'timestamp' })
  checkedAt!: Date;
}
