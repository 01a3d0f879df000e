import { MikroOrmModule } from '@mikro-orm/nestjs';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AuthModule } from './auth/auth.module';
import { ApiKeyGuard } from './common/api-key.guard';
import { WorkerRoutesGuard } from './common/worker-routes.guard';
import { HttpDrain } from './common/graceful-shutdown';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { createValidationPipe } from './common/validation';
import { ConnectionsModule } from './connections/connections.module';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { createOrmConfig } from './config/mikro-orm.config';
import { createLoggerOptions } from './config/logger.config';
import { HealthModule } from './health/health.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { JobsModule } from './jobs/jobs.module';
import { MetricsModule } from './metrics/metrics.module';
import { RedisModule } from './redis/redis.module';
import { SongsModule } from './songs/songs.module';
import { SpotifyModule } from './spotify/spotify.module';
import { UsersModule } from './users/users.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/** Wiring only. The configuration is validated before this module is built (see main.ts). */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggerModule.forRoot(createLoggerOptions(config)),
        MikroOrmModule.forRoot(createOrmConfig(config.databaseUrl)),
        RedisModule,
        HealthModule,
        MetricsModule,
        UsersModule,
        SongsModule,
        ConnectionsModule,
        AuthModule,
        SpotifyModule,
        JobsModule.forRoot(config.role),
        IdempotencyModule,
        WebhooksModule.forRoot(config.role),
      ],
      providers: [
        ...(config.role === 'worker' ? [{ provide: APP_GUARD, useClass: WorkerRoutesGuard }] : []),
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        HttpDrain,
      ],
    };
  }
}
