import { createHash, randomBytes } from 'node:crypto';
import { RunningSandbox } from './sandbox-server';

// Shortcuts for tests that need sandbox tokens without driving the service's own OAuth code.

type SandboxApp = Pick<RunningSandbox, 'accountsBaseUrl' | 'clientId' | 'clientSecret'>;

export interface SandboxTokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  refresh_token?: string;
}

export interface ConnectOptions {
  userId?: string;
  scope?: string;
  redirectUri?: string;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function basicAuth(app: SandboxApp): string {
  return `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`;
}

/** POST /api/token with the app's Basic credentials. */
export async function requestToken(app: SandboxApp, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${app.accountsBaseUrl}/api/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(app), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Runs the whole PKCE authorization-code flow over HTTP as `userId` and returns the token answer. */
export async function connectSandboxUser(app: SandboxApp, options: ConnectOptions = {}): Promise<SandboxTokenResponse & { refresh_token: string }> {
  const redirectUri = options.redirectUri ?? 'http://127.0.0.1:3000/auth/spotify/callback';
  const { verifier, challenge } = pkcePair();
  const authorize = new URL(`${app.accountsBaseUrl}/authorize`);
  authorize.search = new URLSearchParams({
    client_id: app.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    state: 'test-state',
    scope: options.scope ?? 'user-library-read user-read-private',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(options.userId ? { sandbox_user: options.userId } : {}),
  }).toString();
  const consent = await fetch(authorize, { redirect: 'manual' });
  const code = new URL(consent.headers.get('location') ?? '').searchParams.get('code');
  if (consent.status !== 302 || !code) throw new Error(`sandbox /authorize answered ${consent.status} without a code`);
  const { status, body } = await requestToken(app, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier });
  if (status !== 200) throw new Error(`sandbox code exchange answered ${status}: ${JSON.stringify(body)}`);
  return body as unknown as SandboxTokenResponse & { refresh_token: string };
}

/** A client-credentials (app) access token. */
export async function sandboxAppToken(app: SandboxApp): Promise<string> {
  const { status, body } = await requestToken(app, { grant_type: 'client_credentials' });
  if (status !== 200) throw new Error(`sandbox client_credentials answered ${status}`);
  return body.access_token as string;
}
