import type { RunningSandbox } from '../../sandbox/sandbox-server';

/**
 * The environment that points a service at a sandbox: the service's own retry policy
 * (SPOTIFY_MAX_ATTEMPTS keeps its default, which tests count requests against) without the
 * waits between attempts, and a request timeout shorter than a test's patience.
 */
export function sandboxEnv(sandbox: RunningSandbox, env: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    SPOTIFY_API_BASE_URL: sandbox.apiBaseUrl,
    SPOTIFY_ACCOUNTS_BASE_URL: sandbox.accountsBaseUrl,
    SPOTIFY_CLIENT_ID: sandbox.clientId,
    SPOTIFY_CLIENT_SECRET: sandbox.clientSecret,
    SPOTIFY_RETRY_BASE_DELAY_MS: '1',
    SPOTIFY_REQUEST_TIMEOUT_MS: '5000',
    ...env,
  };
}
