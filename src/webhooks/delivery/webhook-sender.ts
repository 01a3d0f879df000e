import { Inject, Injectable } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { APP_CONFIG, AppConfig } from '../../config/app-config';

export const RESPONSE_EXCERPT_BYTES = 256;

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
  durationMs: number;
}

/**
 * One signed POST (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature). The
 * only code that makes webhook requests: a timeout, redirects not followed (a 3xx is a failure,
 * it could point anywhere), and no more than a short excerpt of the answer read.
 */
@Injectable()
export class WebhookSender {
  constructor(@Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'webhooks'>) {}

  async send(url: URL, secret: string, messageId: string, body: string, abort?: AbortSignal): Promise<SendResult> {
    const now = new Date();
    const started = performance.now();
    const signal = abort
      ? AbortSignal.any([abort, AbortSignal.timeout(this.config.webhooks.requestTimeoutMs)])
      : AbortSignal.timeout(this.config.webhooks.requestTimeoutMs);
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const response = await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'spotify-sync-service-webhooks/1',
          'webhook-id': messageId,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': new Webhook(secret).sign(messageId, now, body),
        },
        body,
      });
      const excerpt = await readExcerpt(response);
      const ok = response.status >= 200 && response.status < 300;
      const error = ok ? null : response.status >= 300 && response.status < 400 ? `redirect (${response.status}) not followed` : `HTTP ${response.status}`;
      return { ok, statusCode: response.status, error, responseExcerpt: excerpt, durationMs: elapsed() };
    } catch (error) {
      const name = (error as Error).name;
      const reason =
        name === 'TimeoutError'
          ? `timed out after ${this.config.webhooks.requestTimeoutMs} ms`
          : name === 'AbortError'
            ? 'aborted: the worker is stopping'
            : `request failed: ${describeNetworkError(error as Error)}`;
      return { ok: false, statusCode: null, error: reason, responseExcerpt: null, durationMs: elapsed() };
    }
  }
}

async function readExcerpt(response: Response): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // a body cut off halfway still leaves what was read
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  const text = Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8');
  return text.length ? text : null;
}

/** undici hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, a TLS error). */
function describeNetworkError(error: Error): string {
  const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
  return (cause?.code ?? cause?.message ?? error.message).slice(0, 200);
}
