import { createHash } from 'node:crypto';
import { HttpError, json, oauthError, RequestContext, route, Route, SandboxResponse } from './http';
import { SandboxState } from './state';
import { DEFAULT_USER } from './users';

// Scopes Spotify knows; an unknown one is refused at /authorize as on Spotify.
const KNOWN_SCOPES = new Set([
  'ugc-image-upload', 'user-read-playback-state', 'user-modify-playback-state', 'user-read-currently-playing',
  'app-remote-control', 'streaming', 'playlist-read-private', 'playlist-read-collaborative',
  'playlist-modify-private', 'playlist-modify-public', 'user-follow-modify', 'user-follow-read',
  'user-read-playback-position', 'user-top-read', 'user-read-recently-played', 'user-library-modify',
  'user-library-read', 'user-read-email', 'user-read-private', 'user-personalized',
]);

const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'];

/** The Spotify Accounts service: GET /authorize and POST /api/token. */
export function accountsRoutes(state: SandboxState): Route[] {
  return [route('GET', '/authorize', (ctx) => authorize(state, ctx)), route('POST', '/api/token', (ctx) => token(state, ctx))];
}

/** Auto-approves (or denies) as the chosen sandbox user and redirects back like Spotify's consent page. */
function authorize(state: SandboxState, ctx: RequestContext): SandboxResponse {
  const query = ctx.url.searchParams;
  if (query.get('client_id') !== state.client.id) throw oauthError(400, 'invalid_client', 'Invalid client');
  const redirectUri = requireRedirectUri(query.get('redirect_uri'));
  if (query.get('response_type') !== 'code') throw oauthError(400, 'unsupported_response_type', 'response_type must be code');
  const codeChallenge = checkedCodeChallenge(query.get('code_challenge'), query.get('code_challenge_method'));
  const scopes = (query.get('scope') ?? '').split(/\s+/).filter(Boolean);
  const unknown = scopes.filter((scope) => !KNOWN_SCOPES.has(scope));
  if (unknown.length > 0) throw oauthError(400, 'invalid_scope', `Invalid scope: ${unknown.join(' ')}`);

  const config = state.config;
  const userId = query.get('sandbox_user') ?? config.nextAuthorizeUser ?? DEFAULT_USER;
  if (!query.has('sandbox_user')) config.nextAuthorizeUser = null;
  const denied = query.get('sandbox_deny') === '1' || config.denyNextAuthorize;
  config.denyNextAuthorize = false;

  const target = new URL(redirectUri);
  if (denied) {
    target.searchParams.set('error', 'access_denied');
  } else {
    const consentedAt = Date.now();
    state.users.recordConsent(userId, consentedAt);
    const code = state.tokens.issueCode({ clientId: state.client.id, redirectUri, codeChallenge, userId, scopes, consentedAt });
    target.searchParams.set('code', code);
  }
  const stateParam = query.get('state');
  if (stateParam !== null) target.searchParams.set('state', stateParam);
  return { status: 302, headers: { location: target.toString() } };
}

/** Spotify (since 2025-11-27): HTTPS, or plain HTTP only on a loopback IP literal; `localhost` is refused. */
function requireRedirectUri(value: string | null): string {
  if (!value) throw oauthError(400, 'invalid_request', 'Missing redirect_uri');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw oauthError(400, 'invalid_client', 'Invalid redirect URI');
  }
  if (url.protocol === 'http:' && url.hostname !== '127.0.0.1' && url.hostname !== '[::1]') {
    throw oauthError(400, 'invalid_client', 'Insecure redirect URI');
  }
  return value;
}

function checkedCodeChallenge(challenge: string | null, method: string | null): string | null {
  if (challenge === null && method === null) return null;
  if (!challenge) throw oauthError(400, 'invalid_request', 'code_challenge required with code_challenge_method');
  if (method !== 'S256') throw oauthError(400, 'invalid_request', 'code_challenge_method must be S256');
  return challenge;
}

function token(state: SandboxState, ctx: RequestContext): SandboxResponse {
  if (!(ctx.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    throw oauthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
  }
  const form = new URLSearchParams(ctx.body);
  const grantType = form.get('grant_type') ?? '';
  if (GRANT_TYPES.includes(grantType)) ctx.endpoint = `POST /api/token ${grantType}`;
  authenticateClient(state, ctx.headers.authorization, form);
  const fault = state.faults.nextToken(state.config, grantType);
  if (fault) throw fault;
  switch (grantType) {
    case 'client_credentials':
      return clientCredentials(state);
    case 'authorization_code':
      return exchangeCode(state, form);
    case 'refresh_token':
      return refresh(state, form);
    default:
      throw oauthError(400, 'unsupported_grant_type', 'grant_type parameter is invalid');
  }
}

/** `Authorization: Basic base64(id:secret)`, or client_id and client_secret in the form. */
function authenticateClient(state: SandboxState, header: string | undefined, form: URLSearchParams): void {
  let id: string | null = form.get('client_id');
  let secret: string | null = form.get('client_secret');
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    [id, secret] = colon < 0 ? [decoded, null] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
  }
  if (id !== state.client.id) throw oauthError(401, 'invalid_client', 'Invalid client');
  if (secret !== state.client.secret) throw oauthError(401, 'invalid_client', 'Invalid client secret');
}

function clientCredentials(state: SandboxState): SandboxResponse {
  const ttl = state.config.accessTokenTtlSeconds;
  return json(200, { access_token: state.tokens.issueAccessToken(null, [], ttl), token_type: 'Bearer', expires_in: ttl });
}

function exchangeCode(state: SandboxState, form: URLSearchParams): SandboxResponse {
  const code = form.get('code');
  if (!code) throw oauthError(400, 'invalid_request', 'code must be supplied');
  const grant = state.tokens.findCode(code);
  if (!grant || grant.clientId !== state.client.id) throw invalidGrant('Invalid authorization code');
  if (Date.now() >= grant.expiresAt) throw invalidGrant('Authorization code expired');
  if (form.get('redirect_uri') !== grant.redirectUri) throw invalidGrant('Invalid redirect URI');
  if (grant.codeChallenge !== null) {
    const verifier = form.get('code_verifier');
    if (!verifier) throw invalidGrant('code_verifier required');
    if (createHash('sha256').update(verifier).digest('base64url') !== grant.codeChallenge) {
      throw invalidGrant('code_verifier was incorrect');
    }
  }
  state.tokens.consumeCode(code);
  const ttl = state.config.accessTokenTtlSeconds;
  return json(200, {
    access_token: state.tokens.issueAccessToken(grant.userId, grant.scopes, ttl),
    token_type: 'Bearer',
    scope: grant.scopes.join(' '),
    expires_in: ttl,
    refresh_token: state.tokens.issueRefreshToken(grant.userId, grant.scopes, grant.consentedAt),
  });
}

/** A new refresh token comes back only while rotation is on; the old one then stops working. */
function refresh(state: SandboxState, form: URLSearchParams): SandboxResponse {
  const refreshToken = form.get('refresh_token');
  if (!refreshToken) throw oauthError(400, 'invalid_request', 'refresh_token must be supplied');
  const grant = state.tokens.findRefreshToken(refreshToken);
  const config = state.config;
  if (!grant || grant.rotated) throw invalidGrant('Invalid refresh token');
  if (grant.revoked || config.revokedUsers.includes(grant.userId)) throw invalidGrant('Refresh token revoked');
  if (Date.now() - grant.consentedAt >= config.refreshTokenMaxAgeSeconds * 1000) throw invalidGrant('Refresh token expired');

  const body: Record<string, unknown> = {
    access_token: state.tokens.issueAccessToken(grant.userId, grant.scopes, config.accessTokenTtlSeconds),
    token_type: 'Bearer',
    scope: grant.scopes.join(' '),
    expires_in: config.accessTokenTtlSeconds,
  };
  if (config.rotateRefreshTokens) {
    grant.rotated = true;
    body.refresh_token = state.tokens.issueRefreshToken(grant.userId, grant.scopes, grant.consentedAt);
  }
  return json(200, body);
}

function invalidGrant(description: string): HttpError {
  return oauthError(400, 'invalid_grant', description);
}
