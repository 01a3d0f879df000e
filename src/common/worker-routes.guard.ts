import { CanActivate, ExecutionContext, Injectable, NotFoundException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { IS_PUBLIC } from './public.decorator';

/**
 * A worker process serves health and metrics only: business routes answer 404 there, so that
 * traffic meant for the api replicas never lands on a worker by a misconfigured Service.
 */
@Injectable()
export class WorkerRoutesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const path = context.switchToHttp().getRequest<Request>().path;
    const operational = path.startsWith('/health');
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (operational && isPublic) return true;
    throw new NotFoundException(`${path} is served by the api role, not by a worker`);
  }
}
