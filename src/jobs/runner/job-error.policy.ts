import { DriverException } from '@mikro-orm/core';
import { SpotifyNotConnectedError, SpotifyReauthRequiredError } from '../../connections/spotify-connection.errors';
import { SpotifyError, SpotifyRateLimitedError } from '../../spotify/spotify.errors';
import { TokenDecryptionError } from '../../crypto/token-cipher.service';
import { JobParametersError } from '../parameters/job-parameters';
import type { JobLease } from '../records/sync-job.repository';
import { JobAccountingError, PermanentJobError } from './job-errors';

/** The transitions the policy may pick (SyncJobRepository's, fenced by the lease). */
export interface ErrorTransitions {
  delay(lease: JobLease, runAfter: Date, resultMessage: string): Promise<boolean>;
  fail(lease: JobLease, errorMessage: string): Promise<boolean>;
  backOff(lease: JobLease, errorMessage: string): Promise<boolean>;
}

export interface AttemptCount {
  /** attempts Bull made before this one */
  made: number;
  max: number;
}

export type ErrorOutcome =
  /** a long rate-limit pause: pending until runAfter, the worker is freed */
  | 'delayed'
  /** permanent, or the attempts ran out */
  | 'failed'
  /** transient: Bull retries with backoff */
  | 'retried'
  /** the lease was lost: another worker holds the job, nothing was written */
  | 'stale';

/**
 * What an error means for a job: a rate-limit pause delays it, a permanent error fails it at
 * once, anything else is retried with backoff until the attempts run out. The job's
 * errorMessage carries only publicReason(error); the detail goes to the log.
 */
export async function applyErrorPolicy(
  jobs: ErrorTransitions,
  lease: JobLease,
  error: unknown,
  attempt: AttemptCount,
  now: Date = new Date(),
): Promise<ErrorOutcome> {
  const reason = publicReason(error);
  if (error instanceof SpotifyRateLimitedError) {
    const runAfter = new Date(now.getTime() + error.retryAfterMs);
    const applied = await jobs.delay(lease, runAfter, `Delayed by Spotify until ${runAfter.toISOString()}: ${reason}`);
    return applied ? 'delayed' : 'stale';
  }
  if (isPermanent(error)) {
    return (await jobs.fail(lease, reason)) ? 'failed' : 'stale';
  }
  if (attempt.made + 1 < attempt.max) {
    const applied = await jobs.backOff(lease, `Attempt ${attempt.made + 1} of ${attempt.max} failed, retrying: ${reason}`);
    return applied ? 'retried' : 'stale';
  }
  return (await jobs.fail(lease, `${reason} (gave up after ${attempt.max} attempts)`)) ? 'failed' : 'stale';
}

export function isPermanent(error: unknown): boolean {
  if (
    error instanceof JobParametersError ||
    error instanceof SpotifyNotConnectedError ||
    error instanceof SpotifyReauthRequiredError ||
    error instanceof PermanentJobError ||
    // a stored token that does not decrypt (another row's, or a lost key) never will on a retry
    error instanceof TokenDecryptionError
  ) {
    return true;
  }
  return error instanceof SpotifyError && !error.retryable;
}

export const INTERNAL_REASON = 'Internal error while running the job; the service log has the details under this job id';

/**
 * A stable reason for callers. Only errors whose messages this service writes itself (Spotify
 * errors, connection and parameter errors) are passed on; database and driver errors, and
 * anything unknown, become one generic reason, never SQL, values or a stack.
 */
export function publicReason(error: unknown): string {
  if (
    error instanceof SpotifyError ||
    error instanceof SpotifyNotConnectedError ||
    error instanceof SpotifyReauthRequiredError ||
    error instanceof JobParametersError ||
    error instanceof TokenDecryptionError ||
    error instanceof PermanentJobError ||
    error instanceof JobAccountingError
  ) {
    return clip(error.message);
  }
  return INTERNAL_REASON;
}

const clip = (text: string, max = 500) => (text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * The detail for the log, under the job id: a database error gives its code, constraint and
 * table (its message inlines the SQL and the values); others their name and message.
 */
export function logDetail(error: unknown): Record<string, unknown> {
  if (error instanceof DriverException) {
    const e = error as DriverException & { constraint?: string; table?: string };
    return { name: e.name, code: e.code, constraint: e.constraint, table: e.table };
  }
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { message: String(error) };
}
