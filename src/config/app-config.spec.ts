import { randomBytes } from 'node:crypto';
import { ConfigError, parseEnv } from './app-config';

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
  ])('%j names %s', (override, variable, reason) => {
    const error = errorFor({ ...valid, ...override });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message).toContain(reason);
    expect(error.message).not.toContain('\n');
  });

  it('never puts a secret value in the message', () => {
    const error = errorFor({ ...valid, TOKEN_ENCRYPTION_KEYS: 'k1:c2VjcmV0LXNlY3JldA==' });
    expect(error.message).not.toContain('c2VjcmV0LXNlY3JldA==');
  });
});
