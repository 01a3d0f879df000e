import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { IS_PUBLIC } from './public.decorator';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Every route needs `Authorization: Bearer <key>` unless marked @Public(). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keyDigests: Buffer[];

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.keyDigests = config.apiKeys.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const header = context.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !this.isKnownKey(match[1].trim())) {
      throw new UnauthorizedException('A valid API key is required: Authorization: Bearer <key>');
    }
    return true;
  }

  /** Compares digests in constant time, and against every key, so timing reveals nothing. */
  private isKnownKey(candidate: string): boolean {
    const candidateDigest = digest(candidate);
    let found = false;
    for (const keyDigest of this.keyDigests) {
      found = timingSafeEqual(keyDigest, candidateDigest) || found;
    }
    return found;
  }
}
