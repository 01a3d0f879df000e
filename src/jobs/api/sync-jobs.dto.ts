import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { JOB_PRIORITIES, JOB_STATUSES, JOB_TYPES, JobPriority, JobStatus, JobType, SpotifySyncJob } from '../records/spotify-sync-job.entity';
import type { JobPlan } from '../planning/job-planner.service';

/** The documented shape of `parameters` (sync-job-request.ts validates it per job type). */
export class SyncJobParameters {
  @ApiPropertyOptional({ type: [String], format: 'uuid', maxItems: 1000, description: 'track_sync: these songs only', example: ['7d9f0c8e-3b1a-4c2e-9f4d-2a6b8c0e1f35'] })
  songIds?: string[];

  @ApiPropertyOptional({ type: String, maxLength: 32, description: 'ISO-8601 duration: track_sync default P7D, popularity_update default PT24H', example: 'P7D' })
  staleAfter?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1_000_000, description: 'Stop cleanly after this many Spotify requests', example: 500 })
  maxRequests?: number;
}

export class CreateSyncJobDto {
  @ApiProperty({ enum: JOB_TYPES, example: 'track_sync' })
  @IsIn(JOB_TYPES)
  type!: JobType;

  @ApiPropertyOptional({
    format: 'uuid',
    example: '7d9f0c8e-3b1a-4c2e-9f4d-2a6b8c0e1f35',
    description: 'A song id for track_sync, a user id for user_library (always our UUIDs, never Spotify ids)',
  })
  @IsOptional()
  @IsUUID()
  targetId?: string;

  @ApiPropertyOptional({
    type: SyncJobParameters,
    description:
      'track_sync: { songIds?, staleAfter? (default P7D when no song is named), maxRequests? }; ' +
      'popularity_update: { staleAfter? (default PT24H), maxRequests? }; user_library: none',
    example: { staleAfter: 'P7D', maxRequests: 500 },
  })
  @IsOptional()
  @IsObject()
  parameters?: Record<string, unknown>;

  @ApiPropertyOptional({
    enum: JOB_PRIORITIES,
    example: 'bulk',
    description:
      'Default: interactive when the job names song(s) (targetId, songIds) or a user (user_library), bulk for sweeps. ' +
      'Any job may be lowered to bulk; asking interactive for a sweep is a 400.',
  })
  @IsOptional()
  @IsIn(JOB_PRIORITIES)
  priority?: JobPriority;

  @ApiPropertyOptional({
    type: Boolean,
    example: false,
    description: 'true: answer 200 with the plan (songs, Spotify requests, estimated time) and create nothing; absent or false: create the job',
  })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

export class SyncJobPlan {
  @ApiProperty({ enum: JOB_TYPES, example: 'track_sync' }) type!: JobType;
  @ApiProperty({
    nullable: true,
    type: 'integer',
    example: 1200,
    description: 'Songs the job would touch now (stale songs not in back-off, or the linked named songs); user_library: saved tracks last imported, null before a first import',
  })
  songs!: number | null;
  @ApiProperty({ type: 'integer', example: 1200, description: 'Spotify requests in the current tier' }) requests!: number;
  @ApiProperty({ nullable: true, type: 'integer', example: 62, description: 'At the current request budget; null when there is no budget to go by' })
  estimatedSeconds!: number | null;
  @ApiProperty({ enum: ['extended', 'development', 'unknown'], example: 'development' }) tier!: 'extended' | 'development' | 'unknown';
  @ApiProperty({ nullable: true, type: 'integer', example: 540, description: 'The budget: Spotify requests per rolling 30 s (configured or learnt)' })
  budgetPer30s!: number | null;
}

export class SyncJobPlanResponse {
  @ApiProperty({
    type: SyncJobPlan,
    example: { type: 'track_sync', songs: 1200, requests: 1200, estimatedSeconds: 62, tier: 'development', budgetPer30s: 540 },
  })
  plan!: SyncJobPlan;

  static from(plan: JobPlan): SyncJobPlanResponse {
    return { plan: { ...plan } };
  }
}

export class ListSyncJobsQuery {
  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOptional() @IsIn(JOB_STATUSES)
  status?: JobStatus;

  @ApiPropertyOptional({ enum: JOB_TYPES })
  @IsOptional() @IsIn(JOB_TYPES)
  type?: JobType;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional() @IsUUID()
  targetId?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200)
  limit?: number;

  @ApiPropertyOptional()
  @IsOptional() @IsString() @MaxLength(1000) @Transform(({ value }) => value)
  cursor?: string;
}

export class SyncJobIdParam {
  @ApiProperty({ format: 'uuid', example: '8b1c2d3e-4f50-4a61-9b72-c83d94e5f601' })
  @IsUUID()
  id!: string;
}

export class SyncJobProgress {
  @ApiProperty({ nullable: true, type: Number, example: 1200, description: 'null until known' }) total!: number | null;
  @ApiProperty({ example: 500 }) done!: number;
  @ApiProperty({ example: 2 }) failed!: number;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    example: '2026-11-27T20:14:30.000Z',
    description: 'A running job: when its songs left should be done at the current request budget; otherwise null',
  })
  estimatedCompletionAt!: string | null;
}

export class SyncJobResponse {
  @ApiProperty({ format: 'uuid', example: '8b1c2d3e-4f50-4a61-9b72-c83d94e5f601' }) id!: string;
  @ApiProperty({ enum: JOB_TYPES, example: 'track_sync' }) type!: JobType;
  @ApiProperty({ enum: JOB_STATUSES, example: 'running' }) status!: JobStatus;
  @ApiProperty({ enum: JOB_PRIORITIES, example: 'bulk', description: 'interactive (a caller named the songs or the user) or bulk (schedules and sweeps)' })
  priority!: JobPriority;
  @ApiProperty({ nullable: true, type: String, example: null }) targetId!: string | null;
  @ApiProperty({ nullable: true, type: SyncJobParameters, example: { staleAfter: 'P7D' } }) parameters!: Record<string, unknown> | null;
  @ApiProperty({ type: SyncJobProgress }) progress!: SyncJobProgress;
  @ApiProperty({ nullable: true, type: String, example: '2026-11-27T20:00:01.120Z' }) startedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, example: null }) completedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, example: null }) errorMessage!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: null,
    description: 'Why a completed job did less than asked, e.g. no popularity in this tier',
  })
  resultMessage!: string | null;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'A job delayed by a Spotify rate limit runs again after this' })
  runAfter!: string | null;
  @ApiProperty({ example: 0 }) retryCount!: number;
  @ApiProperty({ example: '2026-11-27T20:00:00.512Z' }) createdAt!: string;

  /** `estimatedCompletionAt`: computed by the caller for a running job (SyncJobsService.estimatedCompletion). */
  static from(job: SpotifySyncJob, estimatedCompletionAt: string | null = null): SyncJobResponse {
    const iso = (d?: Date | null) => (d ? d.toISOString() : null);
    return {
      id: job.id,
      type: job.jobType,
      status: job.status,
      priority: job.priority ?? 'bulk',
      targetId: job.targetId ?? null,
      parameters: job.parameters ?? null,
      progress: { total: job.progressTotal ?? null, done: job.progressDone, failed: job.progressFailed, estimatedCompletionAt },
      startedAt: iso(job.startedAt),
      completedAt: iso(job.completedAt),
      errorMessage: job.errorMessage ?? null,
      resultMessage: job.resultMessage ?? null,
      runAfter: iso(job.runAfter),
      retryCount: job.retryCount ?? 0,
      createdAt: (job.createdAt ?? new Date()).toISOString(),
    };
  }
}

export class SyncJobPage {
  @ApiProperty({ type: [SyncJobResponse] }) items!: SyncJobResponse[];
  @ApiProperty({ nullable: true, type: String, example: null }) nextCursor!: string | null;
}

export class SyncJobFailureResponse {
  @ApiProperty({ example: '7d9f0c8e-3b1a-4c2e-9f4d-2a6b8c0e1f35' }) itemId!: string;
  @ApiProperty({ example: 'Spotify does not know track 4u7EnebtmKWzUH433cf5Qv' }) reason!: string;
}
