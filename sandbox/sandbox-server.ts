import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { accountsRoutes } from './accounts';
import { SandboxAdminClient } from './admin-client';
import { adminRoutes } from './admin';
import { generateCatalogue, SandboxTrack } from './catalogue';
import { defaultConfig, Tier } from './config';
import { HttpError, internalError, json, matchRoute, readBody, RequestContext, Route, SandboxResponse, webApiError, writeResponse } from './http';
import { SandboxState } from './state';
import { webApiRoutes } from './web-api';

export interface SandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  tier?: Tier;
  seed?: number;
  catalogueSize?: number;
  clientId?: string;
  clientSecret?: string;
  accessTokenTtlSeconds?: number;
  latencyMs?: number;
  /** Start in dirty mode (DIRTY_PRESET); the admin's `dirty` setting switches it later. */
  dirty?: boolean;
  /** Web API requests per rolling 30 s before 429 (off by default); the service is not told. */
  rateLimitPer30s?: number | null;
}

export interface RunningSandbox {
  /** http://127.0.0.1:PORT */
  url: string;
  /** url + '/v1': SPOTIFY_API_BASE_URL */
  apiBaseUrl: string;
  /** url: SPOTIFY_ACCOUNTS_BASE_URL */
  accountsBaseUrl: string;
  port: number;
  clientId: string;
  clientSecret: string;
  catalogue: readonly SandboxTrack[];
  admin: SandboxAdminClient;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const seed = options.seed ?? 42;
  const client = { id: options.clientId ?? 'sandbox-client-id', secret: options.clientSecret ?? 'sandbox-client-secret' };
  const config = defaultConfig({
    tier: options.tier,
    latencyMs: options.latencyMs,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    dirty: options.dirty,
    rateLimitPer30s: options.rateLimitPer30s,
  });
  const state = new SandboxState(generateCatalogue(seed, options.catalogueSize), client, config, seed);
  const routes = [...accountsRoutes(state), ...webApiRoutes(state)];
  const admin = adminRoutes(state);
  const shutdown = new AbortController();

  const server = createServer((req, res) => {
    handle(state, routes, admin, shutdown.signal, req, res).catch((error: unknown) => {
      // Never let one odd request take the test process down with an unhandled rejection.
      if (!res.headersSent) writeResponse(res, internalError(error));
    });
  });
  const host = options.host ?? '127.0.0.1';
  await listen(server, options.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${urlHost(host)}:${port}`;
  state.apiBaseUrl = `${url}/v1`;

  return {
    url,
    apiBaseUrl: state.apiBaseUrl,
    accountsBaseUrl: url,
    port,
    clientId: client.id,
    clientSecret: client.secret,
    catalogue: state.catalogue,
    admin: new SandboxAdminClient(url),
    close: () => {
      shutdown.abort();
      return close(server);
    },
  };
}

async function handle(
  state: SandboxState,
  routes: Route[],
  admin: Route[],
  shutdown: AbortSignal,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const receivedAt = Date.now();
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://sandbox');
  // Spotify tolerates a trailing slash (spotipy calls /v1/audio-features/?ids=...).
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const isAdmin = path === '/__admin' || path.startsWith('/__admin/');
  const isWebApi = path === '/v1' || path.startsWith('/v1/');
  const match = matchRoute(isAdmin ? admin : routes, method, path);
  const ctx: RequestContext = {
    method,
    url,
    params: match?.params ?? {},
    headers: req.headers,
    body: '',
    endpoint: match ? `${method} ${match.route.template}` : `${method} (unknown route)`,
  };

  let response: SandboxResponse;
  try {
    ctx.body = await readBody(req);
    // Counted on arrival, as Spotify's rolling window would, before latency and faults.
    const overLimit = isWebApi ? state.rateWindow.admit(state.config.rateLimitPer30s, Date.now()) : null;
    if (overLimit) throw overLimit;
    if (!isAdmin && state.config.latencyMs > 0) await delay(state.config.latencyMs, undefined, { signal: shutdown });
    const fault = isWebApi ? state.faults.next(state.config) : null;
    if (fault) throw fault;
    if (isWebApi && state.config.dirty?.removedEndpoints.includes(path)) throw webApiError(404, 'Service not found');
    if (!match) throw isWebApi ? webApiError(404, 'Service not found') : new HttpError(json(404, { error: 'not_found' }));
    response = await match.route.handler(ctx);
    // After the handler, so the broken answer stands in for one that would have succeeded.
    const malformed = isWebApi && response.status === 200 ? state.faults.malformed(state.config) : null;
    if (malformed) response = malformed;
  } catch (error) {
    if (shutdown.aborted) return;
    response = error instanceof HttpError ? error.response : internalError(error);
  }
  if (!isAdmin) state.traffic.record({ at: receivedAt, method, endpoint: ctx.endpoint, path, status: response.status });
  writeResponse(res, response);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
