import fc from 'fast-check';
import { RATE_WINDOW_MS, RateWindow } from './rate-window';
import { startSandbox } from './sandbox-server';
import { sandboxAppToken } from './test-helpers';

describe('RateWindow', () => {
  it('admits up to the limit per rolling 30 s and answers 429 with the seconds until room', () => {
    const window = new RateWindow();
    for (let i = 0; i < 3; i++) expect(window.admit(3, 1_000 + i)).toBeNull();
    const refused = window.admit(3, 11_000);
    expect(refused?.response.status).toBe(429);
    expect(refused?.response.headers?.['retry-after']).toBe('20');
    expect(window.admit(3, 31_000)).toBeNull(); // the first left the window
    expect(window.admit(3, 31_000)).not.toBeNull();
    expect(window.admit(null, 31_000)).toBeNull();
  });

  it('never admits more than the limit in any 30 s, and a 429 says when room comes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 300 }), (limit, gaps) => {
        const window = new RateWindow();
        const admitted: number[] = [];
        let now = 0;
        for (const gap of gaps) {
          now += gap;
          const refused = window.admit(limit, now);
          if (!refused) {
            admitted.push(now);
            continue;
          }
          const retryAfter = Number(refused.response.headers?.['retry-after']);
          expect(retryAfter).toBeGreaterThanOrEqual(1);
          // At now + Retry-After the window has room again.
          expect(admitted.filter((at) => at > now + retryAfter * 1000 - RATE_WINDOW_MS).length).toBeLessThan(limit);
        }
        for (const at of admitted) {
          expect(admitted.filter((other) => other > at - RATE_WINDOW_MS && other <= at).length).toBeLessThanOrEqual(limit);
        }
      }),
    );
  });
});

describe('sandbox rate limit over HTTP', () => {
  it('is off by default; the admin switch turns it on (429 + Retry-After), and reset turns it off', async () => {
    const sandbox = await startSandbox({ catalogueSize: 50 });
    try {
      const token = await sandboxAppToken(sandbox);
      const get = () => fetch(`${sandbox.apiBaseUrl}/tracks/${sandbox.catalogue[0].id}`, { headers: { authorization: `Bearer ${token}` } });
      for (let i = 0; i < 5; i++) expect((await get()).status).toBe(200);

      await sandbox.admin.configure({ rateLimitPer30s: 3 });
      expect((await get()).status).toBe(200);
      expect((await get()).status).toBe(200);
      expect((await get()).status).toBe(200);
      const refused = await get();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(29);
      expect(await refused.json()).toEqual({ error: { status: 429, message: 'API rate limit exceeded' } });
      // The token endpoint is not Web API: never limited.
      await expect(sandboxAppToken(sandbox)).resolves.toEqual(expect.any(String));

      await expect(sandbox.admin.configure({ rateLimitPer30s: 0 } as never)).rejects.toThrow(/rateLimitPer30s/);
      await sandbox.admin.reset();
      expect((await sandbox.admin.getConfig()).rateLimitPer30s).toBeNull();
      expect((await get()).status).toBe(200);
    } finally {
      await sandbox.close();
    }
  });
});
