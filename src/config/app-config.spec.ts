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
