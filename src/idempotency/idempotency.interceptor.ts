import { CallHandler, ConflictException, ExecutionContext, Injectable, Logger, NestInterceptor, UnprocessableEntityException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { from, mergeMap, Observable, of } from 'rxjs';
import { InvalidInputException } from '../common/validation';
import { apiKeyDigest, isStorableStatus, parseIdempotencyKey, requestFingerprint } from './idempotency-request';
import { IdempotencyService } from './idempotency.service';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';

interface Claim {
  apiKeyHash: string;
  key: string;
  requestHash: string;
}

/**
 * Idempotency-Key on the routes marked @Idempotent(): every POST behind the API key (the same
 * routes the OpenAPI document marks). Runs after the API-key guard, so a key is only ever
 * scoped to an accepted API key.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger(IdempotencyInterceptor.name);

  constructor(private readonly idempotency: IdempotencyService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();

    const parsed = parseIdempotencyKey(req.headers[IDEMPOTENCY_HEADER]);
    if (!parsed) return next.handle();
    if ('error' in parsed) {
      throw new InvalidInputException([{ field: 'Idempotency-Key', reasons: [parsed.error] }], `Idempotency-Key ${parsed.error}`);
    }
    const apiKey = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1].trim() ?? '';
    const claim: Claim = {
      apiKeyHash: apiKeyDigest(apiKey),
      key: parsed.key,
      requestHash: requestFingerprint(req.method, req.originalUrl, req.body),
    };

    return from(this.idempotency.claim(claim.apiKeyHash, claim.key, claim.requestHash)).pipe(
      mergeMap((outcome) => {
        if ('kind' in outcome) {
          this.recordAnswer(res, claim);
          return next.handle();
        }
        if (outcome.requestHash !== claim.requestHash) {
          throw new UnprocessableEntityException(
            'This Idempotency-Key was used with another request (method, path or body): use a new key for a new request',
          );
        }
        if (outcome.state === 'in_flight') {
          throw new ConflictException('A request with this Idempotency-Key is still in flight: retry once it has finished');
        }
        const { answer } = outcome;
        res.status(answer.status);
        res.setHeader(REPLAYED_HEADER, 'true');
        if (answer.contentType) res.setHeader('Content-Type', answer.contentType);
        // sent as stored, byte for byte
        return of(answer.body ?? undefined);
      }),
    );
  }

  /**
   * Stores the answer as it is sent (status and body, whichever path wrote it: the handler or
   * the exception filter), before the client can see it, so a retry right after finds it.
   * Answers that are not final free the key instead; so does a client that goes away.
   */
  private recordAnswer(res: Response, claim: Claim): void {
    const send = res.send.bind(res);
    let settled = false;
    const release = () =>
      this.idempotency.release(claim.apiKeyHash, claim.key, claim.requestHash).catch((error: unknown) => {
        this.logger.warn({ err: error }, 'Could not free an Idempotency-Key');
      });
    res.send = (body?: unknown) => {
      // res.json(object) comes back here with the serialised string; wait for that one
      if (settled || (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body))) return send(body);
      settled = true;
      const status = res.statusCode;
      const stored = isStorableStatus(status)
        ? this.idempotency
            .complete(claim.apiKeyHash, claim.key, claim.requestHash, {
              status,
              contentType: (res.getHeader('content-type') as string | undefined) ?? null,
              body: body === undefined ? null : Buffer.isBuffer(body) ? body.toString('utf8') : body,
            })
            .catch((error: unknown) => {
              this.logger.warn({ err: error }, 'Could not store an Idempotency-Key answer');
              return release();
            })
        : release();
      void stored.finally(() => send(body));
      return res;
    };
    res.on('close', () => {
      if (settled) return;
      settled = true;
      void release();
    });
  }
}
