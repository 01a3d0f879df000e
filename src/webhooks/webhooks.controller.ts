import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import {
  CreatedWebhookResponse,
  CreateWebhookDto,
  DeliveryIdParams,
  DeliveryPage,
  DeliveryResponse,
  ListDeliveriesQuery,
  ListWebhooksQuery,
  WebhookIdParam,
  WebhookPage,
  WebhookResponse,
} from './webhooks.dto';
import { WebhooksService } from './webhooks.service';
import { Idempotent } from '../idempotency/idempotent.decorator';

@ApiTags('webhooks')
@ApiBearerAuth('api-key')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Idempotent()
  @Post()
  @ApiOperation({ operationId: 'createWebhook', summary: 'Subscribe a URL to events; the signing secret is shown only here' })
  @ApiCreatedResponse({ type: CreatedWebhookResponse })
  @ApiBadRequestResponse({ description: 'A field is invalid: an unknown event, or a URL whose host is not in WEBHOOK_ALLOWED_HOSTS' })
  async create(@Body() dto: CreateWebhookDto): Promise<CreatedWebhookResponse> {
    const { subscription, secret } = await this.webhooks.create(dto);
    return { ...WebhookResponse.from(subscription), secret };
  }

  @Get()
  @ApiOperation({ operationId: 'listWebhooks', summary: 'List webhook subscriptions, newest first' })
  @ApiOkResponse({ type: WebhookPage })
  @ApiBadRequestResponse({ description: 'A bad limit or cursor' })
  async list(@Query() query: ListWebhooksQuery): Promise<WebhookPage> {
    const page = await this.webhooks.list(query);
    return { items: page.items.map(WebhookResponse.from), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getWebhook', summary: 'Get a webhook subscription (never its secret)' })
  @ApiOkResponse({ type: WebhookResponse })
  @ApiNotFoundResponse({ description: 'No such subscription' })
  async get(@Param() { id }: WebhookIdParam): Promise<WebhookResponse> {
    return WebhookResponse.from(await this.webhooks.get(id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteWebhook', summary: 'Delete a subscription; its pending deliveries are dropped' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'No such subscription' })
  async delete(@Param() { id }: WebhookIdParam): Promise<void> {
    await this.webhooks.delete(id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ operationId: 'listWebhookDeliveries', summary: 'The delivery log: each delivery, its attempts and what is next' })
  @ApiOkResponse({ type: DeliveryPage })
  @ApiNotFoundResponse({ description: 'No such subscription' })
  async deliveries(@Param() { id }: WebhookIdParam, @Query() query: ListDeliveriesQuery): Promise<DeliveryPage> {
    const page = await this.webhooks.deliveries(id, query);
    return { items: page.items.map(DeliveryResponse.from), nextCursor: page.nextCursor };
  }

  @Idempotent()
  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @ApiOperation({ operationId: 'redeliverWebhook', summary: 'Send a delivered or failed delivery again, now' })
  @ApiAcceptedResponse({ type: DeliveryResponse })
  @ApiNotFoundResponse({ description: 'No such subscription or delivery' })
  @ApiConflictResponse({ description: 'The delivery is still pending' })
  async redeliver(@Param() { id, deliveryId }: DeliveryIdParams): Promise<DeliveryResponse> {
    return DeliveryResponse.from(await this.webhooks.redeliver(id, deliveryId));
  }
}
