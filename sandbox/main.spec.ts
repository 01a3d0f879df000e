import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

function runMain(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'main.ts')], {
    cwd: join(__dirname, '..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.trim();
}

describe('npm run sandbox (sandbox/main.ts)', () => {
  jest.setTimeout(30_000);

  it('logs its URLs on one line, serves, and exits cleanly on SIGTERM', async () => {
    const child = runMain({ SANDBOX_PORT: '0', SANDBOX_TIER: 'development', SANDBOX_CLIENT_ID: 'cli-id', SANDBOX_CLIENT_SECRET: 'cli-secret' });
    try {
      const line = await firstLine(child.stdout!);
      expect(line).toMatch(/development tier.*SPOTIFY_API_BASE_URL=http:\/\/127\.0\.0\.1:\d+\/v1 SPOTIFY_ACCOUNTS_BASE_URL=/);
      const accounts = /SPOTIFY_ACCOUNTS_BASE_URL=(\S+)/.exec(line)![1];
      const response = await fetch(`${accounts}/api/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=cli-id&client_secret=cli-secret',
      });
      expect(response.status).toBe(200);
      expect((await (await fetch(`${accounts}/__admin/config`)).json()) as object).toMatchObject({ tier: 'development' });
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('SANDBOX_DIRTY=1 starts in dirty mode', async () => {
    const child = runMain({ SANDBOX_PORT: '0', SANDBOX_DIRTY: '1' });
    try {
      const line = await firstLine(child.stdout!);
      expect(line).toMatch(/extended tier, dirty/);
      const accounts = /SPOTIFY_ACCOUNTS_BASE_URL=(\S+)/.exec(line)![1];
      expect((await (await fetch(`${accounts}/__admin/config`)).json()) as object).toMatchObject({ dirty: { messyIsrcs: true, refuseUndecodableIds: true } });
    } finally {
      child.kill('SIGTERM');
    }
    await once(child, 'exit');
  });

  it('stops with one clear line on a bad SANDBOX_DIRTY', async () => {
    const child = runMain({ SANDBOX_DIRTY: 'yes' });
    const [line, [code]] = await Promise.all([firstLine(child.stderr!), once(child, 'exit')]);
    expect(line).toBe('sandbox: SANDBOX_DIRTY must be 0 or 1, got "yes"');
    expect(code).toBe(1);
  });

  it('stops with one clear line on a bad setting', async () => {
    const child = runMain({ SANDBOX_TIER: 'premium' });
    const [line, [code]] = await Promise.all([firstLine(child.stderr!), once(child, 'exit')]);
    expect(line).toBe('sandbox: SANDBOX_TIER must be "extended" or "development", got "premium"');
    expect(code).toBe(1);
  });
});
