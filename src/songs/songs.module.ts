import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { SpotifyModule } from '../spotify/spotify.module';
import { SongEnrichmentService } from './song-enrichment.service';
import { SongLinkService } from './song-link.service';
import { Song } from './song.entity';
import { SongsController } from './songs.controller';
import { SongsService } from './songs.service';

/** The songs table's one owner: SongRepository holds every statement; other modules use these services. */
@Module({
  imports: [MikroOrmModule.forFeature([Song]), SpotifyModule],
  controllers: [SongsController],
  providers: [SongsService, SongEnrichmentService, SongLinkService],
  exports: [SongsService, SongEnrichmentService, SongLinkService],
})
export class SongsModule {}
