import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { DELIVERY_STATUSES, DeliveryStatus, WEBHOOK_EVENT_TYPES, WebhookEventType } from './webhook-event-types';
import { MAX_WEBHOOK_URL_LENGTH } from './delivery/webhook-url';
import type { AttemptRow, DeliveryRow, SubscriptionRow } from './webhooks.repository';

const SUBSCRIPTION_ID = '3f6c1a2b-8d4e-4f5a-9b6c-7d8e9f0a1b2c';
const DELIVERY_ID = '5a7b9c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d';

export class CreateWebhookDto {
  @ApiProperty({
    example: 'https://hooks.example.com/spotify-sync',
    maxLength: MAX_WEBHOOK_URL_LENGTH,
    description: 'https on a host in WEBHOOK_ALLOWED_HOSTS (plain http only where that list says http://host)',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_WEBHOOK_URL_LENGTH)
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true, example: ['sync_job.completed', 'sync_job.failed'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true, message: `each value in events must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}` })
  events!: WebhookEventType[];

  @ApiPropertyOptional({ maxLength: 500, example: 'Billing: job outcomes' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class WebhookResponse {
  @ApiProperty({ format: 'uuid', example: SUBSCRIPTION_ID }) id!: string;
  @ApiProperty({ example: 'https://hooks.example.com/spotify-sync' }) url!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true, example: ['sync_job.completed', 'sync_job.failed'] })
  events!: WebhookEventType[];
  @ApiProperty({ type: String, nullable: true, example: 'Billing: job outcomes' }) description!: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-11-30T05:00:00.000Z' }) createdAt!: string;

  static from(row: SubscriptionRow): WebhookResponse {
    return { id: row.id, url: row.url, events: row.events, description: row.description, createdAt: row.created_at };
  }
}

export class CreatedWebhookResponse extends WebhookResponse {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'The Standard Webhooks signing secret. Shown only in this answer: store it now.',
  })
  secret!: string;
}

export class WebhookPage {
  @ApiProperty({ type: [WebhookResponse] }) items!: WebhookResponse[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}

export class ListWebhooksQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200)
  limit?: number;

  @ApiPropertyOptional()
  @IsOptional() @IsString() @MaxLength(1000)
  cursor?: string;
}

export class ListDeliveriesQuery extends ListWebhooksQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional() @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
}

export class WebhookIdParam {
  @ApiProperty({ format: 'uuid', example: SUBSCRIPTION_ID })
  @IsUUID()
  id!: string;
}

export class DeliveryIdParams extends WebhookIdParam {
  @ApiProperty({ format: 'uuid', example: DELIVERY_ID })
  @IsUUID()
  deliveryId!: string;
}

export class DeliveryAttemptResponse {
  @ApiProperty({ example: 1 }) attempt!: number;
  @ApiProperty({ format: 'date-time', example: '2026-11-30T05:00:00.120Z' }) attemptedAt!: string;
  @ApiProperty({ type: 'integer', nullable: true, example: 503, description: 'null when no answer came' }) statusCode!: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'HTTP 503' }) error!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'upstream unavailable', description: 'The first bytes of the answer' })
  responseExcerpt!: string | null;
  @ApiProperty({ example: 42 }) durationMs!: number;

  static from(row: AttemptRow): DeliveryAttemptResponse {
    return {
      attempt: row.attempt,
      attemptedAt: row.attempted_at,
      statusCode: row.status_code,
      error: row.error,
      responseExcerpt: row.response_excerpt,
      durationMs: row.duration_ms,
    };
  }
}

export class DeliveryResponse {
  @ApiProperty({ format: 'uuid', example: DELIVERY_ID, description: 'Also the webhook-id header of every attempt' }) id!: string;
  @ApiProperty({ format: 'uuid', example: '9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' }) eventId!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, example: 'sync_job.completed' }) eventType!: WebhookEventType;
  @ApiProperty({ enum: DELIVERY_STATUSES, example: 'pending', description: 'pending (retrying), delivered (a 2xx), failed (gave up)' })
  status!: DeliveryStatus;
  @ApiProperty({ example: 2 }) attempts!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-11-30T05:05:05.120Z' }) nextAttemptAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) deliveredAt!: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-11-30T05:00:00.000Z' }) createdAt!: string;
  @ApiProperty({ type: [DeliveryAttemptResponse] }) log!: DeliveryAttemptResponse[];

  static from(row: DeliveryRow & { log: AttemptRow[] }): DeliveryResponse {
    return {
      id: row.id,
      eventId: row.event_id,
      eventType: row.event_type,
      status: row.status,
      attempts: row.attempts,
      nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
      deliveredAt: row.delivered_at,
      createdAt: row.created_at,
      log: row.log.map(DeliveryAttemptResponse.from),
    };
  }
}

export class DeliveryPage {
  @ApiProperty({ type: [DeliveryResponse] }) items!: DeliveryResponse[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}

