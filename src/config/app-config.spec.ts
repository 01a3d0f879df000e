import { Inject, Injectable } from '@nestjs/common';
import { getConfigToken } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig, appConfigFactory, ConfigError, parseEnv } from './app-config';
import { AppConfigModule } from './config.module';

const key = randomBytes(32).toString('base64');
const valid = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/db',
  REDIS_URL: 'redis://127.0.0.1:6379',
  API_KEYS: 'a-very-long-api-key-1, another-long-api-key-2',
  TOKEN_ENCRYPTION_KEYS: `new:${key},old:${randomBytes(32).toString('base64')}`,
  SPOTIFY_CLIENT_ID: 'id',
  SPOTIFY_CLIENT_SECRET: 'secret',
  SPOTIFY_REDIRECT_URI: 'http://127.0.0.1:3000/auth/spotify/callback',
};

function errorFor(env: Record<string, string | undefined>): ConfigError {
  try {
    parseEnv(env);
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  it('applies the documented defaults', () => {
    const config = parseEnv(valid);
    expect(config.port).toBe(3000);
    expect(config.role).toBe('all');
    expect(config.apiKeys).toEqual(['a-very-long-api-key-1', 'another-long-api-key-2']);
    expect(config.encryptionKeys.map((k) => k.id)).toEqual(['new', 'old']);
    expect(config.encryptionKeys[0].key.equals(Buffer.from(key, 'base64'))).toBe(true);
    expect(config.spotify.apiBaseUrl).toBe('https://api.spotify.com/v1');
    expect(config.spotify.accountsBaseUrl).toBe('https://accounts.spotify.com');
    expect(config.spotify.accessTier).toBe('auto');
    expect(config.spotify.connectReturnUrl).toBeUndefined();
    expect(config.spotify.requestBudget).toEqual({ mode: 'auto' });
  });

  it('reads SPOTIFY_REQUEST_BUDGET as auto, off or a number per 30 s', () => {
    expect(parseEnv({ ...valid, SPOTIFY_REQUEST_BUDGET: '600' }).spotify.requestBudget).toEqual({ mode: 'fixed', per30s: 600 });
    expect(parseEnv({ ...valid, SPOTIFY_REQUEST_BUDGET: 'off' }).spotify.requestBudget).toEqual({ mode: 'off' });
  });

  it.each([
    [{ DATABASE_URL: undefined }, 'DATABASE_URL', 'is required'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', 'must use'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL', 'must be a URL'],
    [{ APP_ROLE: 'web' }, 'APP_ROLE', 'must be one of api, worker, all'],
    [{ PORT: '70000' }, 'PORT', 'integer'],
    [{ API_KEYS: 'short' }, 'API_KEYS', 'at least 16'],
    [{ TOKEN_ENCRYPTION_KEYS: 'k1:dG9vc2hvcnQ=' }, 'TOKEN_ENCRYPTION_KEYS', '32 bytes'],
    [{ TOKEN_ENCRYPTION_KEYS: `${key}` }, 'TOKEN_ENCRYPTION_KEYS', 'keyId:base64key'],
    [{ TOKEN_ENCRYPTION_KEYS: `a:${key},a:${key}` }, 'TOKEN_ENCRYPTION_KEYS', 'repeated'],
    [{ SPOTIFY_ACCESS_TIER: 'premium' }, 'SPOTIFY_ACCESS_TIER', 'must be one of'],
    [{ SPOTIFY_REQUEST_BUDGET: '0' }, 'SPOTIFY_REQUEST_BUDGET', 'must be auto, off or an integer'],
    [{ SPOTIFY_REQUEST_BUDGET: '12.5' }, 'SPOTIFY_REQUEST_BUDGET', 'must be auto, off or an integer'],
    [{ SPOTIFY_API_BASE_URL: 'ftp://x' }, 'SPOTIFY_API_BASE_URL', 'must use'],
    [{ SYNC_TRACK_CRON: '61 * * * *' }, 'SYNC_TRACK_CRON', 'must be a cron expression or off'],
    [{ SYNC_TRACK_CRON: '* * *' }, 'SYNC_TRACK_CRON', 'must be a cron expression or off'],
    [{ SYNC_POPULARITY_CRON: 'daily' }, 'SYNC_POPULARITY_CRON', 'must be a cron expression or off'],
    [{ SYNC_POPULARITY_CRON: '0 0 31 2 *' }, 'SYNC_POPULARITY_CRON', 'never fires'],
  ])('%j names %s', (override, variable, reason) => {
    const error = errorFor({ ...valid, ...override });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message).toContain(reason);
    expect(error.message).not.toContain('\n');
  });

  it('SPOTIFY_MAX_RETRY_AFTER_S: 3600 by default, bounded, one clear line when bad', () => {
    expect(parseEnv(valid).spotify.maxRetryAfterS).toBe(3600);
    expect(parseEnv({ ...valid, SPOTIFY_MAX_RETRY_AFTER_S: '60' }).spotify.maxRetryAfterS).toBe(60);
    for (const bad of ['0', '-5', 'soon', '1.5', '99999999']) {
      const error = errorFor({ ...valid, SPOTIFY_MAX_RETRY_AFTER_S: bad });
      expect(error.variable).toBe('SPOTIFY_MAX_RETRY_AFTER_S');
      expect(error.message).not.toContain('\n');
    }
  });

  it('keeps SPOTIFY_REDIRECT_URI exactly as configured, a trailing slash included (Spotify compares it exactly)', () => {
    const uri = 'https://sync.example.com/auth/spotify/callback/';
    expect(parseEnv({ ...valid, SPOTIFY_REDIRECT_URI: uri }).spotify.redirectUri).toBe(uri);
    expect(parseEnv(valid).spotify.redirectUri).toBe(valid.SPOTIFY_REDIRECT_URI);
  });

  it('never puts a secret value in the message', () => {
    const error = errorFor({ ...valid, TOKEN_ENCRYPTION_KEYS: 'k1:c2VjcmV0LXNlY3JldA==' });
    expect(error.message).not.toContain('c2VjcmV0LXNlY3JldA==');
  });
});

describe('schedules', () => {
  it('keep their defaults, accept off and any cron expression the scheduler runs', () => {
    expect(parseEnv(valid).jobs).toMatchObject({ trackSyncCron: '0 */6 * * *', popularityCron: '30 3 * * *' });
    const custom = parseEnv({ ...valid, SYNC_TRACK_CRON: 'off', SYNC_POPULARITY_CRON: '15 */2 * * 1-5' });
    expect(custom.jobs).toMatchObject({ trackSyncCron: 'off', popularityCron: '15 */2 * * 1-5' });
    expect(parseEnv({ ...valid, SYNC_TRACK_CRON: '@daily' }).jobs.trackSyncCron).toBe('@daily');
  });

  it('accept or refuse any text with one line naming the variable, never another error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          parseEnv({ ...valid, SYNC_TRACK_CRON: text });
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as ConfigError).variable).toBe('SYNC_TRACK_CRON');
          expect((error as ConfigError).message).not.toContain('\n');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('APP_CONFIG', () => {
  it("is @nestjs/config's key for the namespace and injects the validated configuration", async () => {
    const config = parseEnv(valid);
    expect(APP_CONFIG).toBe(appConfigFactory(config).KEY);
    expect(APP_CONFIG).toBe(getConfigToken('app'));

    @Injectable()
    class Reader {
      constructor(@Inject(APP_CONFIG) readonly config: AppConfig) {}
    }
    const moduleRef = await Test.createTestingModule({ imports: [AppConfigModule.forRoot(config)], providers: [Reader] }).compile();
    expect(moduleRef.get(Reader).config).toBe(config);
    await moduleRef.close();
  });
});

describe('parseEnv in production: secrets printed in the repository', () => {
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  const { join } = require('node:path') as typeof import('node:path');
  const root = join(__dirname, '..', '..');
  const prod = (env: Record<string, string>) => parseEnv({ ...valid, NODE_ENV: 'production', ...env });

  /** Every API key and encryption key written in the README, the compose file, the k8s examples and the demo. */
  function keysInRepository(): { apiKeys: string[]; encryptionKeys: string[] } {
    const files = ['README.md', 'docker-compose.yml', 'deploy/k8s/secret.example.yaml', 'scripts/demo.ts'];
    const text = files.map((f) => readFileSync(join(root, f), 'utf8')).join('\n');
    const apiKeys = [
      ...[...text.matchAll(/API_KEYS:\s*"?([^"\s#]+)/g)].map((m) => m[1]),
      ...[...text.matchAll(/[`'"]([\w-]*api-key[\w-]*)[`'"]/gi)].map((m) => m[1]).filter((k) => k.length >= 16),
    ];
    const encryptionKeys = [...text.matchAll(/TOKEN_ENCRYPTION_KEYS:\s*"?[\w-]+:([A-Za-z0-9+/=]{40,})/g)].map((m) => m[1]);
    return { apiKeys, encryptionKeys };
  }

  it('refuses every API key and encryption key the repository prints, naming the variable', () => {
    const { apiKeys, encryptionKeys } = keysInRepository();
    expect(apiKeys).toEqual(expect.arrayContaining(['demo-api-key-change-me', 'local-dev-api-key-0123456789']));
    expect(encryptionKeys.length).toBeGreaterThan(0);
    for (const apiKey of apiKeys) {
      expect(() => prod({ API_KEYS: `a-very-long-api-key-1,${apiKey}` })).toThrow(/^Invalid configuration: API_KEYS /);
    }
    for (const encryptionKey of encryptionKeys) {
      expect(() => prod({ TOKEN_ENCRYPTION_KEYS: `k:${encryptionKey}` })).toThrow(/^Invalid configuration: TOKEN_ENCRYPTION_KEYS /);
    }
  });

  it('refuses all-zero and low-entropy encryption keys, and accepts random ones', () => {
    const weak = [Buffer.alloc(32), Buffer.alloc(32, 0xff), Buffer.from('0123456789abcdef0123456789abcdef'), Buffer.from('a'.repeat(32))];
    for (const k of weak) {
      expect(() => prod({ TOKEN_ENCRYPTION_KEYS: `k:${k.toString('base64')}` })).toThrow(/^Invalid configuration: TOKEN_ENCRYPTION_KEYS key "k" is (all zeros or low-entropy|a sample key)/);
    }
    for (let i = 0; i < 200; i++) expect(() => prod({ TOKEN_ENCRYPTION_KEYS: `k:${randomBytes(32).toString('base64')}` })).not.toThrow();
  });

  it('lets the same sample values through outside production (local runs, the demo)', () => {
    expect(() => parseEnv({ ...valid, API_KEYS: 'local-dev-api-key-0123456789' })).not.toThrow();
  });

  it('requires SPOTIFY_CONNECT_RETURN_SECRET with SPOTIFY_CONNECT_RETURN_URL, and secrets of 32+ characters', () => {
    expect(errorFor({ ...valid, SPOTIFY_CONNECT_RETURN_URL: 'https://app.example.com/done' }).message).toBe(
      'Invalid configuration: SPOTIFY_CONNECT_RETURN_SECRET is required when SPOTIFY_CONNECT_RETURN_URL is set',
    );
    expect(errorFor({ ...valid, CURSOR_SIGNING_KEY: 'short' }).message).toMatch(/^Invalid configuration: CURSOR_SIGNING_KEY must be at least 32/);
    expect(errorFor({ ...valid, METRICS_PORT: 'x' }).message).toMatch(/^Invalid configuration: METRICS_PORT /);
    expect(errorFor({ ...valid, DOCS_ENABLED: 'yes' }).message).toMatch(/^Invalid configuration: DOCS_ENABLED must be true or false/);
  });
});
