import { EntityRepository } from '@mikro-orm/postgresql';
import type { Song } from './song.entity';

export class SongRepository extends EntityRepository<Song> {}
