import { SandboxConfig, SandboxConfigPatch } from './config';
import { RequestLogEntry, SandboxCounters } from './traffic';
import { SandboxUserView } from './users';

/** Typed calls to a sandbox's /__admin routes over HTTP, so any process sees the same state. */
export class SandboxAdminClient {
  constructor(private readonly baseUrl: string) {}

  getConfig(): Promise<SandboxConfig> {
    return this.call('GET', '/config');
  }

  /** Partial merge; returns the whole resulting config. */
  configure(patch: SandboxConfigPatch): Promise<SandboxConfig> {
    return this.call('POST', '/config', patch);
  }

  /** Counters, request log and config (faults included) back to the start; tokens and libraries stay. */
  reset(): Promise<void> {
    return this.call('POST', '/reset');
  }

  counters(): Promise<SandboxCounters> {
    return this.call('GET', '/counters');
  }

  requests(): Promise<RequestLogEntry[]> {
    return this.call('GET', '/requests');
  }

  user(userId: string): Promise<SandboxUserView> {
    return this.call('GET', `/users/${encodeURIComponent(userId)}`);
  }

  /** Replaces the user's saved tracks; newest first. */
  setLibrary(userId: string, trackIds: string[]): Promise<SandboxUserView> {
    return this.call('POST', `/users/${encodeURIComponent(userId)}/library`, { trackIds });
  }

  saveTracks(userId: string, trackIds: string[]): Promise<SandboxUserView> {
    return this.call('POST', `/users/${encodeURIComponent(userId)}/library/add`, { trackIds });
  }

  removeSavedTracks(userId: string, trackIds: string[]): Promise<SandboxUserView> {
    return this.call('POST', `/users/${encodeURIComponent(userId)}/library/remove`, { trackIds });
  }

  /** The user removes the app: all their current tokens, refresh tokens included, stop working. */
  revokeUser(userId: string): Promise<void> {
    return this.call('POST', `/users/${encodeURIComponent(userId)}/revoke`);
  }

  expireAccessTokens(userId: string): Promise<void> {
    return this.call('POST', `/users/${encodeURIComponent(userId)}/expire-access-tokens`);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}/__admin${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`sandbox admin ${method} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
