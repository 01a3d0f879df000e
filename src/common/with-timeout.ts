/**
 * Settles as `promise` does, or rejects with `message` once `ms` have passed. The timer is
 * AbortSignal.timeout's, which never holds the process open; the promise itself is not cancelled.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, message = `timed out after ${ms} ms`): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error(message)), { once: true })),
  ]);
}
