import { Tier } from './config';
import { startSandbox } from './sandbox-server';

// Standalone sandbox: `npm run sandbox`. Configured by SANDBOX_* variables (see README.md).

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) fail(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function tierFromEnv(): Tier {
  const raw = process.env.SANDBOX_TIER || 'extended';
  if (raw !== 'extended' && raw !== 'development') fail(`SANDBOX_TIER must be "extended" or "development", got "${raw}"`);
  return raw;
}

function dirtyFromEnv(): boolean {
  const raw = process.env.SANDBOX_DIRTY ?? '';
  if (raw !== '' && raw !== '0' && raw !== '1') fail(`SANDBOX_DIRTY must be 0 or 1, got "${raw}"`);
  return raw === '1';
}

function fail(message: string): never {
  console.error(`sandbox: ${message}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const tier = tierFromEnv();
  const sandbox = await startSandbox({
    port: numberFromEnv('SANDBOX_PORT', 4010),
    host: process.env.SANDBOX_HOST || '127.0.0.1',
    tier,
    seed: numberFromEnv('SANDBOX_SEED', 42),
    clientId: process.env.SANDBOX_CLIENT_ID || undefined,
    clientSecret: process.env.SANDBOX_CLIENT_SECRET || undefined,
    latencyMs: numberFromEnv('SANDBOX_LATENCY_MS', 0),
    dirty: dirtyFromEnv(),
    rateLimitPer30s: numberFromEnv('SANDBOX_RATE_LIMIT_PER_30S', 0) || null,
  });
  console.log(
    `Spotify sandbox (${tier} tier${dirtyFromEnv() ? ', dirty' : ''}, ${sandbox.catalogue.length} tracks) listening: ` +
      `SPOTIFY_API_BASE_URL=${sandbox.apiBaseUrl} SPOTIFY_ACCOUNTS_BASE_URL=${sandbox.accountsBaseUrl} ` +
      `SPOTIFY_CLIENT_ID=${sandbox.clientId} admin=${sandbox.url}/__admin`,
  );
  const stop = (): void => {
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
