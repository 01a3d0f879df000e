import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Global, Module, OnModuleInit, Type } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { IdempotencyKeyRecord } from './idempotency-key.entity';
import { IdempotencyService } from './idempotency.service';
import { misplacedIdempotency } from './idempotent.decorator';

/**
 * Idempotency-Key for every POST behind the API key (README "Idempotency-Key"). Routes opt in
 * with @Idempotent(); global so that the interceptor can be bound in any module. A POST left
 * without it stops the app at start-up rather than silently running twice on a retry.
 */
@Global()
@Module({
  imports: [MikroOrmModule.forFeature([IdempotencyKeyRecord]), DiscoveryModule],
  providers: [IdempotencyService],
  exports: [IdempotencyService],
})
export class IdempotencyModule implements OnModuleInit {
  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    const controllers = this.discovery.getControllers().map((wrapper) => wrapper.metatype as Type);
    const problems = misplacedIdempotency(controllers);
    if (problems.length > 0) throw new Error(`Idempotency-Key is not bound as it should be:\n${problems.join('\n')}`);
  }
}
