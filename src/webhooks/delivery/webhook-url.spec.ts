import fc from 'fast-check';
import { parseEnv } from '../../config/app-config';
import { DEFAULT_RETRY_DELAYS, parseRetryDelays, retryDelayAfter } from './retry-schedule';
import { checkWebhookUrl, parseAllowedHosts } from './webhook-url';

// "--" in the 3rd and 4th places is reserved (RFC 5891): `xn--0` is an A-label that is not valid
// punycode, which Node 20's URL parser refuses (and Node 24's accepts), so such names are left out
const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/).filter((l) => l.slice(2, 4) !== '--');
const hostname = fc.array(label, { minLength: 1, maxLength: 3 }).map((parts) => `${parts.join('.')}.example`);
const port = fc.integer({ min: 1, max: 65535 });

describe('WEBHOOK_ALLOWED_HOSTS and subscription URLs', () => {
  it('reads host, host:port and http://host entries', () => {
    expect(parseAllowedHosts(' hooks.example.com , billing.internal:8443,http://127.0.0.1:9000,HTTP://Intra ')).toEqual([
      { host: 'hooks.example.com', port: null, allowHttp: false },
      { host: 'billing.internal', port: 8443, allowHttp: false },
      { host: '127.0.0.1', port: 9000, allowHttp: true },
      { host: 'intra', port: null, allowHttp: true },
    ]);
    expect(parseAllowedHosts(undefined)).toEqual([]);
    for (const bad of ['a.example/path', 'user:pw@a.example', 'a.example:99999', 'a.example?x=1', 'ht!tp://x']) {
      expect(() => parseAllowedHosts(bad)).toThrow(/not a host or host:port/);
    }
  });

  it('names a bad list in one configuration line', () => {
    expect(() => parseEnv({ ...minimalEnv(), WEBHOOK_ALLOWED_HOSTS: 'ok.example,bad/path' })).toThrow(
      'Invalid configuration: WEBHOOK_ALLOWED_HOSTS has an entry that is not a host or host:port: "bad/path"',
    );
    expect(() => parseEnv({ ...minimalEnv(), WEBHOOK_RETRY_DELAYS: '5s,soon' })).toThrow(/^Invalid configuration: WEBHOOK_RETRY_DELAYS has "soon"/);
  });

  it('allows https to a listed host on its port, and plain http only where listed as http://', () => {
    const allowed = parseAllowedHosts('hooks.example.com,internal:8080,http://127.0.0.1:9000');
    expect(checkWebhookUrl('https://hooks.example.com/in?x=1', allowed)).toMatchObject({ ok: true });
    expect(checkWebhookUrl('https://HOOKS.example.com:443/in', allowed)).toMatchObject({ ok: true });
    expect(checkWebhookUrl('https://hooks.example.com:8443/in', allowed)).toEqual({ ok: false, reason: 'host is not in WEBHOOK_ALLOWED_HOSTS' });
    expect(checkWebhookUrl('http://hooks.example.com/in', allowed)).toMatchObject({ ok: false, reason: expect.stringContaining('must use https') });
    expect(checkWebhookUrl('https://internal:8080/', allowed)).toMatchObject({ ok: true });
    expect(checkWebhookUrl('http://internal:8080/', allowed)).toMatchObject({ ok: false, reason: expect.stringContaining('must use https') });
    expect(checkWebhookUrl('http://127.0.0.1:9000/hook', allowed)).toMatchObject({ ok: true });
    expect(checkWebhookUrl('http://127.0.0.1:9001/hook', allowed)).toMatchObject({ ok: false });
    expect(checkWebhookUrl('https://user:pw@hooks.example.com/', allowed)).toEqual({ ok: false, reason: 'must not carry credentials' });
    expect(checkWebhookUrl('ftp://hooks.example.com/', allowed)).toEqual({ ok: false, reason: 'must use https' });
    expect(checkWebhookUrl('hooks.example.com/in', allowed)).toEqual({ ok: false, reason: 'must be an absolute URL' });
    expect(checkWebhookUrl('https://evil.example/?hooks.example.com', allowed)).toMatchObject({ ok: false });
    expect(checkWebhookUrl('https://hooks.example.com.evil.example/', allowed)).toMatchObject({ ok: false });
    expect(checkWebhookUrl(`https://hooks.example.com/${'a'.repeat(2048)}`, allowed)).toMatchObject({ ok: false });
  });

  it('property: a listed host:port is allowed over https on any path, any other host never', () => {
    fc.assert(
      fc.property(hostname, port, hostname, fc.webPath(), (host, p, other, path) => {
        const allowed = parseAllowedHosts(`${host}:${p}`);
        const url = `https://${host}:${p}${path}`;
        const check = checkWebhookUrl(url, allowed);
        if (url.length <= 2048) expect(check.ok).toBe(true);
        if (other !== host) expect(checkWebhookUrl(`https://${other}:${p}${path}`, allowed).ok).toBe(false);
        expect(checkWebhookUrl(`http://${host}:${p}${path}`, allowed).ok).toBe(false);
      }),
    );
  });

  it('property: any string is answered (never thrown), and an allowed URL is on a listed host', () => {
    const allowed = parseAllowedHosts('a.example,http://127.0.0.1:8080');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.webUrl().map((u) => u.replace(/\/\/[^/]+/, '//a.example'))), (raw) => {
        const check = checkWebhookUrl(raw, allowed);
        if (check.ok) expect(['a.example', '127.0.0.1']).toContain(check.url.hostname);
        else expect(check.reason.length).toBeGreaterThan(0);
      }),
    );
  });

  it('property: an allow-list never throws anything but a described Error', () => {
    fc.assert(
      fc.property(fc.string(), (raw) => {
        try {
          for (const entry of parseAllowedHosts(raw)) expect(entry.host.length).toBeGreaterThan(0);
        } catch (error) {
          expect((error as Error).message).toMatch(/not a host or host:port/);
        }
      }),
    );
  });
});

describe('retry schedule', () => {
  it('is the contract by default: 5 s first, 24 h or more in all, then give up', () => {
    const delays = parseRetryDelays(DEFAULT_RETRY_DELAYS);
    expect(delays[0]).toBe(5_000);
    expect(delays.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(24 * 3_600_000);
    expect(retryDelayAfter(1, delays)).toBe(5_000);
    expect(retryDelayAfter(2, delays)).toBe(300_000);
    expect(retryDelayAfter(delays.length + 1, delays)).toBeNull();
  });

  it('property: every well-formed list parses to its values; anything else is refused with a reason', () => {
    const unit = fc.constantFrom(['ms', 1], ['s', 1_000], ['m', 60_000], ['h', 3_600_000]) as fc.Arbitrary<[string, number]>;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 48 }), unit), { maxLength: 20 }), (items) => {
        const raw = items.map(([n, [u]]) => `${n}${u}`).join(',');
        expect(parseRetryDelays(raw)).toEqual(items.map(([n, [, ms]]) => n * ms));
      }),
    );
    fc.assert(
      fc.property(fc.string(), (raw) => {
        try {
          for (const ms of parseRetryDelays(raw)) expect(ms).toBeGreaterThanOrEqual(1);
        } catch (error) {
          expect((error as Error).message).toMatch(/^has /);
        }
      }),
    );
  });
});

function minimalEnv(): Record<string, string> {
  return {
    DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/x',
    REDIS_URL: 'redis://127.0.0.1:6379',
    API_KEYS: 'a-very-long-api-key-1',
    TOKEN_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
    SPOTIFY_CLIENT_ID: 'id',
    SPOTIFY_CLIENT_SECRET: 'secret',
    SPOTIFY_REDIRECT_URI: 'http://127.0.0.1:3000/auth/spotify/callback',
  };
}
