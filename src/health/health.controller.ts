import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, MikroOrmHealthIndicator } from '@nestjs/terminus';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Public } from '../common/public.decorator';
import { RedisHealthIndicator } from './redis.health';
import { ApiEndpoint } from '../openapi/api-endpoint.decorator';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: MikroOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @ApiEndpoint('getLiveness', 'Liveness: the process answers')
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** PostgreSQL for every role; Redis is required only where queues are processed. */
  @ApiEndpoint('getReadiness', 'Readiness: PostgreSQL (and Redis for workers) reachable', { errors: { 503: 'Not ready: names the failing dependency' } })
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 1_500 }),
      () => this.redis.check('redis', this.config.role !== 'api'),
    ]);
  }
}
