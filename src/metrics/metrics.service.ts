import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { withTimeout } from '../common/with-timeout';

export type JobOutcome = 'completed' | 'failed' | 'skipped' | 'retried' | 'delayed' | 'cancelled';
export type TokenKind = 'user' | 'app';
export type TokenRefreshOutcome = 'refreshed' | 'invalid_grant' | 'error';
export type RateLimitKind = 'rate_limit' | 'quota';

export interface QueueDepth {
  queue: string;
  /** Bull's job states: waiting, active, delayed, failed, paused… */
  state: string;
  count: number;
}

/** The shared Spotify request budget as one process sees it; null where it cannot be read. */
export interface BudgetGauges {
  per30s: number | null;
  usedInWindow: number | null;
  rateLimitedLastHour: number | null;
  pausedSeconds: number;
}

export type BudgetReader = () => Promise<BudgetGauges>;

/** Reads the current depth of some queues; called on every scrape. */
export type QueueDepthReader = () => Promise<QueueDepth[]>;

const READER_TIMEOUT_MS = 1_000;

export type WebhookAttemptOutcome = 'delivered' | 'retry' | 'failed' | 'not_sent';

/**
 * Every metric the service exports. Other modules record through these methods and never
 * touch prom-client, so metric names and labels stay in one file.
 */
@Injectable()
export class MetricsService {
  /** Per application instance: tests build many apps in one process, and prom-client's global registry would be shared. */
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template, method and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly jobs = new Counter({
    name: 'sync_jobs_total',
    help: 'Sync jobs handled by a worker, by type and outcome',
    labelNames: ['type', 'outcome'],
    registers: [this.registry],
  });

  private readonly queueDepthReaders = new Set<QueueDepthReader>();

  private readonly spotifyRequests = new Counter({
    name: 'spotify_requests_total',
    help: 'Requests sent to Spotify, by endpoint template and response status ("error" when no response came; "malformed" for a 2xx whose body is not what the endpoint promises, counted besides its status)',
    labelNames: ['endpoint', 'status'],
    registers: [this.registry],
  });

  private readonly rateLimited = new Counter({
    name: 'spotify_rate_limited_total',
    help: 'Spotify 429 answers: rate_limit (Retry-After) or quota (QUOTA_EXCEEDED)',
    labelNames: ['kind'],
    registers: [this.registry],
  });

  private readonly retryAfterCapped = new Counter({
    name: 'spotify_retry_after_capped_total',
    help: 'Retry-After answers longer than SPOTIFY_MAX_RETRY_AFTER_S, paused for that maximum instead',
    registers: [this.registry],
  });

  private readonly pausedSeconds = new Counter({
    name: 'spotify_paused_seconds_total',
    help: 'Time Spotify work was paused by this process because of a 429',
    registers: [this.registry],
  });

  private readonly tokenRefreshes = new Counter({
    name: 'spotify_token_refreshes_total',
    help: 'Spotify token refreshes, by token kind and outcome',
    labelNames: ['kind', 'outcome'],
    registers: [this.registry],
  });

  private readonly webhookAttempts = new Counter({
    name: 'webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome: delivered, retry (failed, will retry), failed (gave up), not_sent (blocked before any request)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  private readonly webhookLag = new Histogram({
    name: 'webhook_delivery_lag_seconds',
    help: 'From the event (its transaction) to the 2xx that delivered it',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600, 3600, 86400],
    registers: [this.registry],
  });

  private readonly budgetPermits = new Counter({
    name: 'spotify_budget_permits_total',
    help: 'Permits taken from the shared Spotify request budget by this process, by priority',
    labelNames: ['priority'],
    registers: [this.registry],
  });

  private readonly budgetWaitSeconds = new Counter({
    name: 'spotify_budget_wait_seconds_total',
    help: 'Time callers in this process waited for a Spotify request budget permit, by priority',
    labelNames: ['priority'],
    registers: [this.registry],
  });

  private budgetReader: BudgetReader | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.budgetGauges();
    const readers = this.queueDepthReaders;
    new Gauge({
      name: 'sync_queue_depth',
      help: 'Jobs in each queue, by state, read at scrape time',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const results = await Promise.allSettled([...readers].map((read) => withTimeout(read(), READER_TIMEOUT_MS, 'queue depth read timed out')));
        for (const result of results) {
          // an unreachable Redis leaves its series out rather than failing the whole scrape
          if (result.status !== 'fulfilled') continue;
          for (const { queue, state, count } of result.value) this.set({ queue, state }, count);
        }
      },
    });
  }

  /** `route` is the template (`/v1/songs/:id`), never the raw URL, so label values stay few. */
  observeHttpRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  recordJob(type: string, outcome: JobOutcome): void {
    this.jobs.inc({ type, outcome });
  }

  /** Registers a reader of queue depths (the jobs module, with Bull's counts); returns the unregister function. */
  registerQueueDepth(reader: QueueDepthReader): () => void {
    this.queueDepthReaders.add(reader);
    return () => this.queueDepthReaders.delete(reader);
  }

  /** `endpoint` is a template such as `/tracks/{id}` or `/me/tracks`; `status` a number, or 'error' for no response. */
  recordSpotifyRequest(endpoint: string, status: number | 'error' | 'malformed'): void {
    this.spotifyRequests.inc({ endpoint, status: String(status) });
  }

  recordRateLimited(kind: RateLimitKind): void {
    this.rateLimited.inc({ kind });
  }

  recordRetryAfterCapped(): void {
    this.retryAfterCapped.inc();
  }

  recordPaused(seconds: number): void {
    if (seconds > 0) this.pausedSeconds.inc(seconds);
  }

  recordBudgetPermit(priority: 'interactive' | 'bulk', waitedSeconds: number): void {
    this.budgetPermits.inc({ priority });
    if (waitedSeconds > 0) this.budgetWaitSeconds.inc({ priority }, waitedSeconds);
  }

  /** Registers the reader of the Spotify request budget (one per app); returns the unregister function. */
  registerBudgetReader(reader: BudgetReader): () => void {
    this.budgetReader = reader;
    return () => {
      if (this.budgetReader === reader) this.budgetReader = null;
    };
  }

  /** Four gauges from one read of the budget per scrape. */
  private budgetGauges(): void {
    let pending: Promise<BudgetGauges | null> | null = null;
    const read = () => {
      pending ??= (this.budgetReader ? withTimeout(this.budgetReader(), READER_TIMEOUT_MS, 'budget read timed out') : Promise.resolve(null))
        .catch(() => null)
        .finally(() => setImmediate(() => (pending = null)));
      return pending;
    };
    const gauge = (name: string, help: string, pick: (g: BudgetGauges) => number | null) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          this.reset();
          const gauges = await read();
          const value = gauges ? pick(gauges) : null;
          if (value !== null) this.set(value);
        },
      });
    gauge('spotify_budget_per30s', 'Spotify request budget: requests per rolling 30 s (configured or learnt)', (g) => g.per30s);
    gauge('spotify_budget_used_in_window', 'Spotify request budget: permits taken in the last 30 s by every process', (g) => g.usedInWindow);
    gauge('spotify_budget_rate_limited_last_hour', 'Spotify 429 answers in the last hour, every process', (g) => g.rateLimitedLastHour);
    gauge('spotify_budget_paused_seconds', 'Seconds left of the running Spotify 429 pause', (g) => g.pausedSeconds);
  }

  recordTokenRefresh(kind: TokenKind, outcome: TokenRefreshOutcome): void {
    this.tokenRefreshes.inc({ kind, outcome });
  }

  recordWebhookAttempt(outcome: WebhookAttemptOutcome, lagSeconds?: number): void {
    this.webhookAttempts.inc({ outcome });
    if (outcome === 'delivered' && lagSeconds !== undefined) this.webhookLag.observe(Math.max(0, lagSeconds));
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

