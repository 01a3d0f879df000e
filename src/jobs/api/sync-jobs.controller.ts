import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiConflictResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CreateSyncJobDto, ListSyncJobsQuery, SyncJobFailureResponse, SyncJobIdParam, SyncJobPage, SyncJobResponse } from './sync-jobs.dto';
import { SyncJobsService } from '../sync-jobs.service';
import { ApiEndpoint } from '../../openapi/api-endpoint.decorator';

@ApiTags('sync jobs')
@ApiBearerAuth('api-key')
@Controller('v1/sync-jobs')
export class SyncJobsController {
  constructor(private readonly jobs: SyncJobsService) {}

  @ApiEndpoint('createSyncJob', 'Queue a sync job, or get the identical one still pending or running', { errors: { 404: 'The target user or song does not exist', 409: 'The user has not connected a Spotify account' } })
  @Post()
  @ApiAcceptedResponse({ type: SyncJobResponse, description: 'A new job, queued' })
  @ApiOkResponse({ type: SyncJobResponse, description: 'An identical job that is still pending or running' })
  async create(@Body() dto: CreateSyncJobDto, @Res({ passthrough: true }) res: Response): Promise<SyncJobResponse> {
    const { job, created } = await this.jobs.create(dto);
    res.status(created ? 202 : 200);
    return SyncJobResponse.from(job);
  }

  @Get()
  @ApiEndpoint('listSyncJobs', 'List sync jobs, newest first, a keyset page at a time')
  @ApiOkResponse({ type: SyncJobPage })
  async list(@Query() query: ListSyncJobsQuery): Promise<SyncJobPage> {
    const page = await this.jobs.list(query);
    return { items: page.items.map(SyncJobResponse.from), nextCursor: page.nextCursor };
  }

  @ApiEndpoint('getSyncJob', 'Get a sync job: status, progress, error, retries')
  @Get(':id')
  @ApiOkResponse({ type: SyncJobResponse })
  async get(@Param() { id }: SyncJobIdParam): Promise<SyncJobResponse> {
    return SyncJobResponse.from(await this.jobs.get(id));
  }

  @ApiEndpoint('listSyncJobFailures', 'List the items a sync job could not process, and why')
  @Get(':id/failures')
  @ApiOkResponse({ type: [SyncJobFailureResponse], description: 'Items the job could not process, and why' })
  async failures(@Param() { id }: SyncJobIdParam): Promise<SyncJobFailureResponse[]> {
    return (await this.jobs.failures(id)).map((f) => ({ itemId: f.itemId, reason: f.reason }));
  }

  @ApiEndpoint('retrySyncJob', 'Put a failed job back to pending')
  @Post(':id/retry')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: SyncJobResponse })
  @ApiConflictResponse({ description: 'The job is not failed' })
  async retry(@Param() { id }: SyncJobIdParam): Promise<SyncJobResponse> {
    return SyncJobResponse.from(await this.jobs.retry(id));
  }

  @ApiEndpoint('cancelSyncJob', 'Cancel a pending job')
  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOkResponse({ type: SyncJobResponse })
  @ApiConflictResponse({ description: 'The job is not pending' })
  async cancel(@Param() { id }: SyncJobIdParam): Promise<SyncJobResponse> {
    return SyncJobResponse.from(await this.jobs.cancel(id));
  }
}
