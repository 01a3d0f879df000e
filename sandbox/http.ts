import { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

export interface SandboxResponse {
  status: number;
  /** Serialised as JSON unless undefined. */
  body?: unknown;
  /** Sent as it is instead of `body` (a broken answer on purpose); give the content-type in `headers`. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface RequestContext {
  method: string;
  url: URL;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
  /** Route template used by the counters; the token endpoint refines it with the grant type. */
  endpoint: string;
}

export type Handler = (ctx: RequestContext) => SandboxResponse | Promise<SandboxResponse>;

export interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  paramNames: string[];
  handler: Handler;
}

/** Thrown by handlers and helpers to answer early with a ready response. */
export class HttpError extends Error {
  constructor(readonly response: SandboxResponse) {
    super(`HTTP ${response.status}`);
  }
}

export function json(status: number, body: unknown, headers?: Record<string, string>): SandboxResponse {
  return { status, body, headers };
}

/** Spotify Web API error shape: `{"error":{"status":404,"message":"..."}}`. */
export function webApiError(status: number, message: string, extra: Record<string, unknown> = {}): HttpError {
  return new HttpError(json(status, { error: { status, message, ...extra } }));
}

/** An unexpected error in the sandbox itself. */
export function internalError(error: unknown): SandboxResponse {
  return json(500, { error: { status: 500, message: String(error) } });
}

/** Spotify Accounts error shape: `{"error":"invalid_grant","error_description":"..."}`. */
export function oauthError(status: number, error: string, description: string): HttpError {
  return new HttpError(json(status, { error, error_description: description }));
}

/** A template such as `/v1/tracks/{id}` becomes a route whose `{id}` matches one path segment. */
export function route(method: string, template: string, handler: Handler): Route {
  const paramNames: string[] = [];
  const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
    paramNames.push(name);
    return '([^/]+)';
  });
  return { method, template, pattern: new RegExp(`^${source}$`), paramNames, handler };
}

export function matchRoute(
  routes: readonly Route[],
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | null {
  for (const candidate of routes) {
    if (candidate.method !== method) continue;
    const match = candidate.pattern.exec(path);
    if (!match) continue;
    const params = Object.fromEntries(candidate.paramNames.map((name, i) => [name, safeDecode(match[i + 1])]));
    return { route: candidate, params };
  }
  return null;
}

/** A malformed escape stays as it is, so the handler can answer 400 for it. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const MAX_BODY_BYTES = 1_000_000;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(json(413, { error: 'request body too large' }));
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseJsonBody(ctx: RequestContext): Record<string, unknown> {
  if (ctx.body.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(ctx.body);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new HttpError(json(400, { error: 'body must be a JSON object' }));
}

export function writeResponse(res: ServerResponse, response: SandboxResponse): void {
  const headers: Record<string, string> = { ...response.headers };
  let payload = '';
  if (response.rawBody !== undefined) {
    payload = response.rawBody;
  } else if (response.body !== undefined) {
    payload = JSON.stringify(response.body);
    headers['content-type'] = 'application/json; charset=utf-8';
  }
  headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(response.status, headers);
  res.end(payload);
}
