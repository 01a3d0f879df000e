import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

export interface ChildApp {
  child: ChildProcess;
  baseUrl: string;
  /** everything the process wrote so far */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `command` with `env` and waits until GET /health/live answers 200. */
export async function startChildApp(
  command: string[],
  env: Record<string, string | undefined>,
  options: { cwd?: string; port: number; timeoutMs?: number; spawnOptions?: SpawnOptions },
): Promise<ChildApp> {
  const child = spawn(command[0], command.slice(1), {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH, ...env, PORT: String(options.port) } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options.spawnOptions,
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const baseUrl = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let running = true;
  void exited.then(() => (running = false));
  while (running && Date.now() < deadline) {
    const live = await fetch(`${baseUrl}/health/live`).catch(() => undefined);
    if (live?.ok) return { child, baseUrl, output: () => output, exited };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`${command.join(' ')} did not become live on port ${options.port}:\n${output}`);
}
