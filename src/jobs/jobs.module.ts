import { BullModule, BullRootModuleOptions } from '@nestjs/bull';
import { DynamicModule, Module, OnModuleInit, Provider } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { APP_CONFIG, AppConfig, AppRole } from '../config/app-config';
import { SpotifyModule } from '../spotify/spotify.module';
import { ConnectionsModule } from '../connections/connections.module';
import { SongsModule } from '../songs/songs.module';
import { UsersModule } from '../users/users.module';
import { UsersService } from '../users/users.service';
import { SYNC_INTERACTIVE_QUEUE, SYNC_QUEUE } from './jobs.constants';
import { PopularityUpdateHandler } from './handlers/popularity-update.handler';
import { SongSyncController } from './api/song-sync.controller';
import { SyncJobQueue } from './queue/sync-job.queue';
import { SyncJobRunner } from './runner/sync-job.runner';
import { SyncJobProcessor } from './queue/sync-job.processor';
import { SyncJobReconciler } from './queue/sync-job.reconciler';
import { SyncJobsController } from './api/sync-jobs.controller';
import { SyncJobsService } from './sync-jobs.service';
import { SyncScheduler } from './schedules/sync.scheduler';
import { TrackSyncHandler } from './handlers/track-sync.handler';
import { UserLibraryHandler } from './handlers/user-library.handler';
import { JobBudgetEstimator } from './planning/job-budget.estimator';
import { JobPlannerService } from './planning/job-planner.service';

/**
 * Bull's connection: Bull reads the URL itself, as ioredis (the service's own client) does; only
 * TLS for rediss: is ours to add. Bull opens (and on close, quits) its client, subscriber and
 * blocking client itself. Commands wait for Redis instead of failing: a queue whose first
 * connection failed would otherwise stay broken after Redis comes back. Callers bound their waits.
 */
export function bullRedisOptions(redisUrl: string): Pick<BullRootModuleOptions, 'url' | 'redis'> {
  return {
    url: redisUrl,
    redis: { tls: redisUrl.startsWith('rediss:') ? {} : undefined, connectTimeout: 2_000, maxRetriesPerRequest: null },
  };
}

const WORKER_ONLY: Provider[] = [SyncJobProcessor, SyncJobReconciler, SyncScheduler];

/** Sync jobs: the API for every role; queue processing, the reconciler and schedules for worker and all. */
@Module({})
export class JobsModule implements OnModuleInit {
  constructor(
    private readonly users: UsersService,
    private readonly jobs: SyncJobsService,
  ) {}

  static forRoot(role: AppRole): DynamicModule {
    const processes = role !== 'api';
    return {
      module: JobsModule,
      imports: [
        BullModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({
            prefix: `${config.redisKeyPrefix}:bull`,
            ...bullRedisOptions(config.redisUrl),
            settings: {
              stalledInterval: config.jobs.stalledIntervalMs,
              lockDuration: config.jobs.lockDurationMs,
              maxStalledCount: 5,
            },
          }),
        }),
        BullModule.registerQueue({ name: SYNC_QUEUE }, { name: SYNC_INTERACTIVE_QUEUE }),
        ...(processes ? [ScheduleModule.forRoot()] : []),
        SpotifyModule,
        ConnectionsModule,
        SongsModule,
        UsersModule,
      ],
      controllers: [SyncJobsController, SongSyncController],
      providers: [
        SyncJobQueue,
        SyncJobsService,
        JobBudgetEstimator,
        JobPlannerService,
        TrackSyncHandler,
        PopularityUpdateHandler,
        UserLibraryHandler,
        SyncJobRunner,
        ...(processes ? WORKER_ONLY : []),
      ],
      exports: [SyncJobsService],
    };
  }

  onModuleInit(): void {
    this.users.onUserDeleted((userId, em) => this.jobs.cancelPendingForUser(userId, em));
  }
}
