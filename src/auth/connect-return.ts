import { createHmac } from 'node:crypto';
import type { Request } from 'express';

/** The attempt a callback belongs to, once its state is known (consumed) in this request. */
export interface ConnectAttempt {
  userId: string;
  attemptId: string;
}

const attempts = new WeakMap<Request, ConnectAttempt>();

export function rememberAttempt(req: Request, attempt: ConnectAttempt): void {
  attempts.set(req, attempt);
}

export function attemptOf(req: Request): ConnectAttempt | undefined {
  return attempts.get(req);
}

/** base64url(HMAC-SHA256(secret, status + "." + userId + "." + attempt)), as the contract fixes it. */
export function signConnectReturn(secret: string, status: string, userId: string, attempt: string): string {
  return createHmac('sha256', secret).update(`${status}.${userId}.${attempt}`).digest('base64url');
}

/**
 * Where the browser goes back to: `status`, `userId`, `attempt`, `signature` (and `reason` for
 * errors). userId and attempt are empty when the callback's state was unknown (nobody to name).
 */
export function connectReturnLocation(
  returnUrl: string,
  secret: string,
  status: 'connected' | 'error',
  attempt: ConnectAttempt | undefined,
  reason?: string,
): string {
  const url = new URL(returnUrl);
  const userId = attempt?.userId ?? '';
  const attemptId = attempt?.attemptId ?? '';
  url.searchParams.set('status', status);
  url.searchParams.set('userId', userId);
  url.searchParams.set('attempt', attemptId);
  url.searchParams.set('signature', signConnectReturn(secret, status, userId, attemptId));
  if (reason !== undefined) url.searchParams.set('reason', reason);
  return url.toString();
}
