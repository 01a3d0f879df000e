import { CatalogueIndex, indexCatalogue, SandboxTrack } from './catalogue';
import { applyConfigPatch, SandboxConfig } from './config';
import { FaultInjector } from './faults';
import { RateWindow } from './rate-window';
import { SearchIndex } from './search';
import { TokenStore } from './tokens';
import { Traffic } from './traffic';
import { SandboxUsers } from './users';

export interface SandboxClient {
  id: string;
  secret: string;
}

/** Everything one running sandbox knows; the route modules read and change it. */
export class SandboxState {
  config: SandboxConfig;
  /** Set once the server listens; used for `href` and paging links. */
  apiBaseUrl = '';
  readonly index: CatalogueIndex;
  readonly search: SearchIndex;
  readonly tokens = new TokenStore();
  readonly users: SandboxUsers;
  readonly traffic = new Traffic();
  readonly faults = new FaultInjector();
  readonly rateWindow = new RateWindow();

  constructor(
    readonly catalogue: readonly SandboxTrack[],
    readonly client: SandboxClient,
    private readonly initialConfig: SandboxConfig,
    seed: number,
  ) {
    this.config = structuredClone(initialConfig);
    this.index = indexCatalogue(catalogue);
    this.search = new SearchIndex(catalogue);
    this.users = new SandboxUsers(catalogue, seed);
  }

  updateConfig(patch: Record<string, unknown>): SandboxConfig {
    this.config = applyConfigPatch(this.config, patch);
    if ('rateLimit' in patch) this.faults.resetCount();
    if ('rateLimitPer30s' in patch) this.rateWindow.reset();
    return this.config;
  }

  /** Counters, request log and config (faults included) back to the start; tokens, consents and libraries stay. */
  reset(): void {
    this.config = structuredClone(this.initialConfig);
    this.traffic.reset();
    this.faults.resetCount();
    this.rateWindow.reset();
  }
}
