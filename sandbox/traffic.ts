export interface RequestLogEntry {
  /** Epoch ms when the request was received. */
  at: number;
  method: string;
  /** Route template, e.g. `GET /v1/tracks/{id}` or `POST /api/token refresh_token`. */
  endpoint: string;
  path: string;
  status: number;
}

export interface SandboxCounters {
  total: number;
  byEndpoint: Record<string, number>;
}

// Bounds memory in a long-running demo; counters keep counting past it.
const MAX_LOG_ENTRIES = 100_000;

/** Counters and a request log for every non-admin request. */
export class Traffic {
  private log: RequestLogEntry[] = [];
  private total = 0;
  private byEndpoint = new Map<string, number>();

  record(entry: RequestLogEntry): void {
    this.total += 1;
    this.byEndpoint.set(entry.endpoint, (this.byEndpoint.get(entry.endpoint) ?? 0) + 1);
    this.log.push(entry);
    if (this.log.length > MAX_LOG_ENTRIES) this.log.shift();
  }

  counters(): SandboxCounters {
    return { total: this.total, byEndpoint: Object.fromEntries(this.byEndpoint) };
  }

  requests(): RequestLogEntry[] {
    return [...this.log];
  }

  reset(): void {
    this.log = [];
    this.total = 0;
    this.byEndpoint = new Map();
  }
}
