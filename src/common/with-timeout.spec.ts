import { setTimeout as sleep } from 'node:timers/promises';
import { withTimeout } from './with-timeout';

describe('withTimeout', () => {
  it('passes a value or an error through when the promise settles in time', async () => {
    await expect(withTimeout(Promise.resolve(42), 1_000)).resolves.toBe(42);
    await expect(withTimeout(Promise.reject(new Error('refused')), 1_000)).rejects.toThrow('refused');
  });

  it('rejects with the message once the time is up', async () => {
    const started = Date.now();
    await expect(withTimeout(sleep(5_000), 50, 'Redis did not answer')).rejects.toThrow('Redis did not answer');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('names the limit by default', async () => {
    await expect(withTimeout(new Promise(() => undefined), 20)).rejects.toThrow('timed out after 20 ms');
  });
});
