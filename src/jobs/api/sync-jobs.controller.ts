import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiConflictResponse, ApiExtraModels, ApiOkResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import {
  CreateSyncJobDto,
  ListSyncJobsQuery,
  SyncJobFailureResponse,
  SyncJobIdParam,
  SyncJobPage,
  SyncJobPlanResponse,
  SyncJobResponse,
} from './sync-jobs.dto';
import { SyncJobsService } from '../sync-jobs.service';
import { ApiEndpoint } from '../../openapi/api-endpoint.decorator';
import { Idempotent } from '../../idempotency/idempotent.decorator';

@ApiTags('sync jobs')
@ApiBearerAuth('api-key')
@ApiExtraModels(SyncJobResponse, SyncJobPlanResponse)
@Controller('v1/sync-jobs')
export class SyncJobsController {
  constructor(private readonly jobs: SyncJobsService) {}

  @ApiEndpoint('createSyncJob', 'Queue a sync job, or get the identical one still pending or running; with dryRun, only its plan', {
    description:
      'With `"dryRun": true` the answer is 200 `{ plan }`: the songs the job would touch now, the Spotify requests that costs in the ' +
      'current access tier and the time at the current request budget. Nothing is created or queued.',
    errors: { 404: 'The target user or song does not exist', 409: 'The user has not connected a Spotify account' },
  })
  @Idempotent()
  @Post()
  @ApiAcceptedResponse({ type: SyncJobResponse, description: 'A new job, queued' })
  @ApiOkResponse({
    description: 'An identical job that is still pending or running; or, with dryRun, the plan',
    content: {
      'application/json': {
        schema: { oneOf: [{ $ref: getSchemaPath(SyncJobResponse) }, { $ref: getSchemaPath(SyncJobPlanResponse) }] },
      },
    },
  })
  async create(@Body() dto: CreateSyncJobDto, @Res({ passthrough: true }) res: Response): Promise<SyncJobResponse | SyncJobPlanResponse> {
    if (dto.dryRun) {
      res.status(200);
      return SyncJobPlanResponse.from(await this.jobs.plan(dto));
    }
    const { job, created } = await this.jobs.create(dto);
    res.status(created ? 202 : 200);
    return SyncJobResponse.from(job, await this.jobs.estimatedCompletion(job));
  }

  @Get()
  @ApiEndpoint('listSyncJobs', 'List sync jobs, newest first, a keyset page at a time')
  @ApiOkResponse({ type: SyncJobPage })
  async list(@Query() query: ListSyncJobsQuery): Promise<SyncJobPage> {
    const page = await this.jobs.list(query);
    const items = await Promise.all(page.items.map(async (job) => SyncJobResponse.from(job, await this.jobs.estimatedCompletion(job))));
    return { items, nextCursor: page.nextCursor };
  }

  @ApiEndpoint('getSyncJob', 'Get a sync job: status, progress, error, retries')
  @Get(':id')
  @ApiOkResponse({ type: SyncJobResponse })
  async get(@Param() { id }: SyncJobIdParam): Promise<SyncJobResponse> {
    const job = await this.jobs.get(id);
    return SyncJobResponse.from(job, await this.jobs.estimatedCompletion(job));
  }

  @ApiEndpoint('listSyncJobFailures', 'List the items a sync job could not process, and why')
  @Get(':id/failures')
  @ApiOkResponse({ type: [SyncJobFailureResponse], description: 'Items the job could not process, and why' })
  async failures(@Param() { id }: SyncJobIdParam): Promise<SyncJobFailureResponse[]> {
    return (await this.jobs.failures(id)).map((f) => ({ itemId: f.itemId, reason: f.reason }));
  }

  @ApiEndpoint('retrySyncJob', 'Put a failed job back to pending')
  @Idempotent()
  @Post(':id/retry')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: SyncJobResponse })
  @ApiConflictResponse({ description: 'The job is not failed' })
  async retry(@Param() { id }: SyncJobIdParam): Promise<SyncJobResponse> {
    return SyncJobResponse.from(await this.jobs.retry(id));
  }

  @ApiEndpoint('cancelSyncJob', 'Cancel a pending job')
  @Idempotent()
  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOkResponse({ type: SyncJobResponse })
  @ApiConflictResponse({ description: 'The job is not pending' })
  async cancel(@Param() { id }: SyncJobIdParam): Promise<SyncJobResponse> {
    return SyncJobResponse.from(await this.jobs.cancel(id));
  }
}
