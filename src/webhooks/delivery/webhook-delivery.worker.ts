import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Client } from 'pg';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { TokenCipher } from '../../crypto/token-cipher.service';
import { MetricsService } from '../../metrics/metrics.service';
import { retryDelayAfter } from './retry-schedule';
import { SendResult, WebhookSender } from './webhook-sender';
import { checkWebhookUrl } from './webhook-url';
import { AttemptOutcome, ClaimedDelivery, WAKE_CHANNEL, webhookSecretBinding, WebhooksRepository } from '../webhooks.repository';

/** The claim outlives the longest request by this much before another worker may send the attempt. */
const LEASE_MARGIN_MS = 10_000;
const LISTEN_RETRY_MS = 1_000;
/** Wake-ups (events committed, requests finished) this close together share one claim query. */
const WAKE_COALESCE_MS = 5;
const RETRY_CLOCK_MARGIN_MS = 50;
const PURGE_INTERVAL_MS = 3_600_000;
const PURGE_BATCH = 1_000;

/**
 * Delivers webhooks in worker-role processes. PostgreSQL is the queue: a loop claims due
 * deliveries (FOR UPDATE SKIP LOCKED), sends up to WEBHOOK_CONCURRENCY at once and records each
 * attempt. It sleeps until the poll interval, the next retry it knows of, or a NOTIFY from a
 * committed event, whichever comes first, so a new event goes out at once.
 */
@Injectable()
export class WebhookDeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDeliveryWorker.name);
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private stopping = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private woken = false;
  private listener?: Client;
  private purgeTimer?: NodeJS.Timeout;
  /** when retries this worker scheduled fall due; other workers' retries are found by the poll */
  private retriesDue: number[] = [];

  constructor(
    private readonly repository: WebhooksRepository,
    private readonly sender: WebhookSender,
    private readonly cipher: TokenCipher,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    void this.listen();
    this.loop = this.run();
    this.purgeTimer = setInterval(() => void this.purgeExpired(), PURGE_INTERVAL_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.purgeTimer);
    this.poke();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
    if (this.inFlight.size) {
      const grace = new Promise((resolve) => setTimeout(resolve, this.config.webhooks.shutdownGraceMs).unref());
      await Promise.race([Promise.all(this.inFlight), grace]);
      // what is still running is aborted and handed back (release), for the next worker
      this.abort.abort();
      await Promise.all(this.inFlight);
    }
  }

  /** Deletes events past WEBHOOK_RETENTION_DAYS, a batch at a time; several workers at once are harmless. */
  async purgeExpired(): Promise<number> {
    let deleted = 0;
    try {
      for (let batch = PURGE_BATCH; batch === PURGE_BATCH && !this.stopping; deleted += batch) {
        batch = await this.repository.purgeBefore(this.config.webhooks.retentionDays, PURGE_BATCH);
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'Deleting old webhook events failed; trying again next hour');
    }
    return deleted;
  }

  private async run(): Promise<void> {
    const { concurrency, pollIntervalMs, requestTimeoutMs } = this.config.webhooks;
    while (!this.stopping) {
      const free = concurrency - this.inFlight.size;
      let claimed: ClaimedDelivery[] = [];
      const claimedAt = Date.now();
      let claimOk = false;
      if (free > 0) {
        try {
          claimed = await this.repository.claimDue(free, requestTimeoutMs + LEASE_MARGIN_MS);
          claimOk = true;
        } catch (error) {
          this.logger.warn({ err: (error as Error).message }, 'Claiming webhook deliveries failed; trying again');
        }
        for (const delivery of claimed) this.track(this.attempt(delivery));
      }
      if (free > 0 && claimed.length === free) continue; // there may be more due
      // a claim that started after a retry was due has taken it (or another worker did)
      if (claimOk) this.retriesDue = this.retriesDue.filter((due) => due > claimedAt);
      const untilRetry = Math.min(...this.retriesDue) - Date.now();
      if (await this.sleep(Math.max(10, Math.min(pollIntervalMs, untilRetry)))) {
        await new Promise((resolve) => setTimeout(resolve, WAKE_COALESCE_MS));
      }
    }
  }

  private track(attempt: Promise<void>): void {
    const work = attempt
      .catch((error) => this.logger.error({ err: (error as Error).message }, 'A webhook attempt failed unexpectedly'))
      .finally(() => {
        this.inFlight.delete(work);
        this.poke();
      });
    this.inFlight.add(work);
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const attemptedAt = new Date();
    let result: SendResult;
    const check = checkWebhookUrl(delivery.url, this.config.webhooks.allowedHosts);
    if (!check.ok) {
      // the allow-list changed since the subscription was made: never contacted
      result = { ok: false, statusCode: null, error: `not sent: ${check.reason}`, responseExcerpt: null, durationMs: 0 };
    } else {
      let secret: string;
      try {
        secret = this.cipher.decrypt(delivery.secret_encrypted, webhookSecretBinding(delivery.subscription_id));
      } catch (error) {
        result = { ok: false, statusCode: null, error: `not sent: ${(error as Error).message}`, responseExcerpt: null, durationMs: 0 };
        return this.finish(delivery, attemptedAt, result, false);
      }
      const body = JSON.stringify({ type: delivery.event_type, timestamp: delivery.occurred_at, data: delivery.data });
      result = await this.sender.send(check.url, secret, delivery.id, body, this.abort.signal);
      if (this.abort.signal.aborted && !result.ok) {
        await this.repository.release(delivery.id, delivery.attempt).catch(() => undefined);
        return;
      }
    }
    return this.finish(delivery, attemptedAt, result, check.ok);
  }

  private async finish(delivery: ClaimedDelivery, attemptedAt: Date, result: SendResult, sent: boolean): Promise<void> {
    const outcome = nextState(result.ok, delivery.retry_step, this.config.webhooks.retryDelaysMs);
    try {
      const held = await this.repository.recordAttempt({
        deliveryId: delivery.id,
        attempt: delivery.attempt,
        attemptedAt,
        statusCode: result.statusCode,
        error: result.error,
        responseExcerpt: result.responseExcerpt,
        durationMs: result.durationMs,
        outcome,
      });
      // the database's due time was computed during that write: after it, local time is not earlier
      // (later retries are found by the poll anyway; this keeps the list short)
      if (held && outcome.status === 'pending' && outcome.nextAttemptInMs < this.config.webhooks.pollIntervalMs) {
        this.retriesDue.push(Date.now() + outcome.nextAttemptInMs + RETRY_CLOCK_MARGIN_MS);
      }
      if (held) {
        const lag = (Date.now() - Date.parse(delivery.occurred_at)) / 1000;
        const kind = !sent ? 'not_sent' : outcome.status === 'pending' ? 'retry' : outcome.status;
        this.metrics.recordWebhookAttempt(kind, lag);
      }
      if (!held) this.logger.warn({ deliveryId: delivery.id }, 'A webhook attempt outlived its claim; its outcome was not recorded');
      if (outcome.status === 'failed') {
        this.logger.warn({ deliveryId: delivery.id, attempts: delivery.attempt }, 'Webhook delivery failed for good');
      }
    } catch (error) {
      // the claim expires and the attempt is made again: at least once
      this.logger.warn({ deliveryId: delivery.id, err: (error as Error).message }, 'Recording a webhook attempt failed');
    }
  }

  /** Resolves true when poked (an event, a finished request, shutdown), false at the timeout. */
  private sleep(ms: number): Promise<boolean> {
    if (this.woken || this.stopping) {
      this.woken = false;
      return Promise.resolve(!this.stopping);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve(false);
      }, ms);
      this.wake = () => {
        this.wake = undefined;
        clearTimeout(timer);
        resolve(!this.stopping);
      };
    });
  }

  private poke(): void {
    if (this.wake) this.wake();
    else this.woken = true;
  }

  /** A dedicated connection for LISTEN (a pooled one may be handed to someone else). */
  private async listen(): Promise<void> {
    while (!this.stopping) {
      const client = new Client({ connectionString: this.config.databaseUrl });
      const lost = new Promise<void>((resolve) => {
        client.on('error', () => resolve());
        client.on('end', () => resolve());
      });
      try {
        await client.connect();
        client.on('notification', () => this.poke());
        await client.query(`LISTEN ${WAKE_CHANNEL}`);
        this.listener = client;
        if (this.stopping) await client.end();
        await lost;
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'Listening for webhook events failed; polling meanwhile');
      }
      this.listener = undefined;
      await client.end().catch(() => undefined);
      if (!this.stopping) {
        this.poke(); // events may have come while not listening
        await new Promise((resolve) => setTimeout(resolve, LISTEN_RETRY_MS).unref());
      }
    }
  }
}

/** A 2xx ends a delivery; a failure waits the next step of the schedule, or ends it when none is left. */
export function nextState(ok: boolean, retryStep: number, delays: readonly number[]): AttemptOutcome {
  if (ok) return { status: 'delivered' };
  const failures = retryStep + 1;
  const delay = retryDelayAfter(failures, delays);
  return delay === null ? { status: 'failed', retryStep: failures } : { status: 'pending', retryStep: failures, nextAttemptInMs: delay };
}
