import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { JOB_STATUSES, JOB_TYPES, JobStatus, JobType, SpotifySyncJob } from './spotify-sync-job.entity';

export class CreateSyncJobDto {
  @ApiProperty({ enum: JOB_TYPES, example: 'track_sync' })
  @IsIn(JOB_TYPES)
  type!: JobType;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'A song id for track_sync, a user id for user_library (always our UUIDs, never Spotify ids)',
  })
  @IsOptional()
  @IsUUID()
  targetId?: string;

  @ApiPropertyOptional({
    description:
      'track_sync: { songIds?: uuid[], staleAfter?: ISO-8601 duration (default P7D when no song is named), maxRequests?: int }; ' +
      'popularity_update: { staleAfter?: default PT24H, maxRequests?: int }; user_library: none',
    example: { staleAfter: 'P7D', maxRequests: 500 },
  })
  @IsOptional()
  @IsObject()
  parameters?: Record<string, unknown>;
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
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id!: string;
}

export class SyncJobProgress {
  @ApiProperty({ nullable: true, type: Number, description: 'null until known' }) total!: number | null;
  @ApiProperty() done!: number;
  @ApiProperty() failed!: number;
}

export class SyncJobResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: JOB_TYPES }) type!: JobType;
  @ApiProperty({ enum: JOB_STATUSES }) status!: JobStatus;
  @ApiProperty({ nullable: true, type: String }) targetId!: string | null;
  @ApiProperty({ nullable: true, type: Object }) parameters!: Record<string, unknown> | null;
  @ApiProperty({ type: SyncJobProgress }) progress!: SyncJobProgress;
  @ApiProperty({ nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) completedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) errorMessage!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Why a completed job did less than asked, e.g. no popularity in this tier' })
  resultMessage!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'A job delayed by a Spotify rate limit runs again after this' })
  runAfter!: string | null;
  @ApiProperty() retryCount!: number;
  @ApiProperty() createdAt!: string;

  static from(job: SpotifySyncJob): SyncJobResponse {
    const iso = (d?: Date | null) => (d ? d.toISOString() : null);
    return {
      id: job.id,
      type: job.jobType,
      status: job.status,
      targetId: job.targetId ?? null,
      parameters: job.parameters ?? null,
      progress: { total: job.progressTotal ?? null, done: job.progressDone, failed: job.progressFailed },
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
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class SyncJobFailureResponse {
  @ApiProperty() itemId!: string;
  @ApiProperty() reason!: string;
}
