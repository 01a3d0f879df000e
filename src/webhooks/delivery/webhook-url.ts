/**
 * The SSRF guard. `WEBHOOK_ALLOWED_HOSTS` is a comma-separated list of `host` or `host:port`
 * entries; a bare host means the scheme's default port. Webhooks go over https; an entry written
 * `http://host[:port]` also allows plain http to that host (internal receivers without TLS).
 * Names are compared as written (lower-cased); the operator vouches for what they resolve to.
 */
export interface AllowedHost {
  host: string;
  /** null: the default port of the URL's scheme only */
  port: number | null;
  allowHttp: boolean;
}

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Throws an Error whose message says what is wrong with the list (never a URL's secret part: entries have none). */
export function parseAllowedHosts(raw: string | undefined): AllowedHost[] {
  if (!raw?.trim()) return [];
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const allowHttp = /^http:\/\//i.test(entry);
      const rest = entry.replace(/^https?:\/\//i, '');
      let parsed: URL;
      try {
        parsed = new URL(`${allowHttp ? 'http' : 'https'}://${rest}`);
      } catch {
        throw new Error(`has an entry that is not a host or host:port: "${entry}"`);
      }
      const bare = parsed.pathname === '/' && !rest.includes('/') && !parsed.search && !parsed.hash;
      if (!bare || parsed.username || parsed.password || !parsed.hostname) {
        throw new Error(`has an entry that is not a host or host:port: "${entry}"`);
      }
      return { host: parsed.hostname.toLowerCase(), port: parsed.port ? Number(parsed.port) : null, allowHttp };
    });
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

function defaultPort(protocol: string): number {
  return protocol === 'http:' ? 80 : 443;
}

/** Whether a subscription URL may be contacted; checked at subscription and again before every request. */
export function checkWebhookUrl(raw: string, allowed: readonly AllowedHost[]): UrlCheck {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) return { ok: false, reason: `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'must be an absolute URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'must use https' };
  if (url.username || url.password) return { ok: false, reason: 'must not carry credentials' };
  if (url.hash) return { ok: false, reason: 'must not have a fragment' };
  const host = url.hostname.toLowerCase();
  const port = url.port ? Number(url.port) : defaultPort(url.protocol);
  const matches = allowed.filter((entry) => entry.host === host && (entry.port ?? defaultPort(url.protocol)) === port);
  if (!matches.length) return { ok: false, reason: 'host is not in WEBHOOK_ALLOWED_HOSTS' };
  if (url.protocol === 'http:' && !matches.some((entry) => entry.allowHttp)) {
    return { ok: false, reason: 'must use https (plain http only for hosts listed as http://host in WEBHOOK_ALLOWED_HOSTS)' };
  }
  return { ok: true, url };
}
