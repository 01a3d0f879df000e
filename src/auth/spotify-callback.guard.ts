import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SpotifyStrategy } from './spotify.strategy';

/** Runs the Passport Spotify strategy on the callback; the controller gets the result as `req.user`. */
@Injectable()
export class SpotifyCallbackGuard implements CanActivate {
  constructor(private readonly strategy: SpotifyStrategy) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request & { user?: unknown }>();
    req.user = await this.strategy.handleCallback(req, http.getResponse<Response>());
    return true;
  }
}
