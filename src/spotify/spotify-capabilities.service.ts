import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { AccessTierSetting, APP_CONFIG, AppConfig } from '../config/app-config';
import { SpotifyCapabilityRecord } from './spotify-capability.entity';
import { SpotifyForbiddenError, SpotifyNotFoundError } from './spotify.errors';
import { RawObject } from './spotify.mappers';
import { SpotifyRateLimiter } from './spotify-rate-limiter';
import {
  AccessTier,
  Capability,
  CapabilitiesReport,
  CappedPause,
  SEARCH_LIMIT_DEVELOPMENT,
  SEARCH_LIMIT_EXTENDED,
} from './spotify.types';

interface Known {
  available: boolean;
  learnedAt: Date;
  checkedAt: Date;
}

const FIXED: Record<Exclude<AccessTierSetting, 'auto'>, Record<Capability, boolean>> = {
  extended: { batch_tracks: true, popularity: true, audio_features: true, preview_urls: true },
  development: { batch_tracks: false, popularity: false, audio_features: false, preview_urls: false },
};

/** Capabilities that are whole endpoints: probed by calling them. The others are fields, observed in answers. */
export type ProbedCapability = 'batch_tracks' | 'audio_features';

/** While a capability is unknown, look in the database at most this often before probing Spotify. */
const RELOAD_UNKNOWN_MS = 1_000;

/**
 * What this Spotify client id may do. An explicit SPOTIFY_ACCESS_TIER fixes it; in `auto` it is
 * learnt from answers to the app's own token (never a user's: their 403s can mean a missing scope),
 * kept in memory, persisted per capability and client id so other processes and restarts know it,
 * and a forbidden endpoint is probed again only after SPOTIFY_CAPABILITY_RECHECK_HOURS, by one process.
 */
@Injectable()
export class SpotifyCapabilitiesService {
  private readonly logger = new Logger(SpotifyCapabilitiesService.name);
  private readonly setting: AccessTierSetting;
  private readonly clientId: string;
  private readonly recheckMs: number;
  private readonly known = new Map<Capability, Known>();
  private readonly probes = new Map<Capability, Promise<void>>();
  private loadedAt = 0;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly em: EntityManager,
    @Inject(APP_CONFIG) config: AppConfig,
    @Optional() private readonly limiter?: SpotifyRateLimiter,
  ) {
    this.setting = config.spotify.accessTier;
    this.clientId = config.spotify.clientId;
    this.recheckMs = config.spotify.capabilityRecheckHours * 3600_000;
  }

  /**
   * Runs `call` (an app-token request to an endpoint the tier may forbid) unless the endpoint is known
   * to be forbidden. A 403 teaches that it is, and answers `{ ok: false }` so the caller falls back.
   * While the capability is unknown, concurrent callers in this process wait for one probe.
   */
  async attempt<T>(capability: ProbedCapability, call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
    for (;;) {
      const inFlight = this.probes.get(capability);
      if (inFlight) {
        await inFlight;
        continue;
      }
      if (!(await this.mayCall(capability))) return { ok: false };
      // Another caller may have started the probe while this one awaited: check again, then claim with no await between.
      if (this.probes.has(capability)) continue;
      const isProbe = this.setting === 'auto' && this.known.get(capability) === undefined;
      let settle = () => {};
      if (isProbe) this.probes.set(capability, new Promise<void>((resolve) => (settle = resolve)));
      try {
        const value = await call();
        await this.record(capability, true);
        return { ok: true, value };
      } catch (error) {
        // 403 (the tier lacks it) or 404 (the endpoint was removed, as Spotify did to /recommendations): unavailable.
        if (!(error instanceof SpotifyForbiddenError || error instanceof SpotifyNotFoundError)) throw error;
        if (this.setting !== 'auto' && FIXED[this.setting][capability]) {
          this.logger.warn(`SPOTIFY_ACCESS_TIER=${this.setting} but Spotify refused ${capability} (${error.status}); falling back`);
        }
        await this.record(capability, false);
        return { ok: false };
      } finally {
        if (isProbe) {
          this.probes.delete(capability);
          settle();
        }
      }
    }
  }

  /** Known (or configured) to be forbidden; never probes. */
  async knownUnavailable(capability: ProbedCapability): Promise<boolean> {
    if (this.setting !== 'auto') return !FIXED[this.setting][capability];
    return (await this.current(capability))?.available === false;
  }

  private async mayCall(capability: ProbedCapability): Promise<boolean> {
    if (this.setting !== 'auto') return FIXED[this.setting][capability];
    const known = await this.current(capability);
    if (!known || known.available) return true;
    if (Date.now() - known.checkedAt.getTime() < this.recheckMs) return false;
    return this.claimRecheck(capability, known);
  }

  /** Something learnt from a call made with the app's token. Only changes and due re-checks reach the database. */
  private async record(capability: Capability, available: boolean): Promise<void> {
    if (this.setting !== 'auto') return;
    const current = this.known.get(capability);
    const now = new Date();
    if (current && current.available === available && now.getTime() - current.checkedAt.getTime() < this.recheckMs) return;
    const changed = current?.available !== available;
    this.known.set(capability, { available, learnedAt: changed ? now : current!.learnedAt, checkedAt: now });
    if (changed) this.logger.log(`Spotify capability ${capability} is ${available ? 'available' : 'unavailable'} for this client id`);
    await this.persist(capability, available, now);
  }

  /** Track objects fetched with the app's token: a missing `popularity` key is the development-mode signature. */
  async observeTracks(raws: RawObject[]): Promise<void> {
    if (this.setting !== 'auto' || raws.length === 0) return;
    const hasPopularity = raws.some((raw) => typeof raw.popularity === 'number');
    const hasPreview = raws.some((raw) => typeof raw.preview_url === 'string' && raw.preview_url !== '');
    await this.record('popularity', hasPopularity);
    // Extended apps often get null previews too, so a null says nothing unless popularity is gone as well.
    if (hasPreview) await this.record('preview_urls', true);
    else if (!hasPopularity) await this.record('preview_urls', false);
  }

  async tier(): Promise<AccessTier> {
    if (this.setting !== 'auto') return this.setting;
    return tierOf(await this.availability('batch_tracks'), await this.availability('popularity'));
  }

  /** Search limit within the tier's maximum; the smaller one until the tier is known (a larger one is a 400). */
  async maxSearchLimit(): Promise<number> {
    return (await this.tier()) === 'extended' ? SEARCH_LIMIT_EXTENDED : SEARCH_LIMIT_DEVELOPMENT;
  }

  /** For GET /v1/spotify/capabilities: always read from the database, as the api process may never call Spotify. */
  async report(): Promise<CapabilitiesReport> {
    const pause = await this.cappedPause();
    if (this.setting !== 'auto') {
      const fixed = FIXED[this.setting];
      return {
        pause,
        tier: this.setting,
        learnedAt: null,
        available: {
          batchTracks: fixed.batch_tracks,
          popularity: fixed.popularity,
          audioFeatures: fixed.audio_features,
          previewUrls: fixed.preview_urls,
        },
      };
    }
    await this.load();
    const value = (capability: Capability) => this.known.get(capability)?.available ?? null;
    const learned = [...this.known.values()].map((known) => known.learnedAt.getTime());
    return {
      pause,
      tier: tierOf(value('batch_tracks'), value('popularity')),
      learnedAt: learned.length > 0 ? new Date(Math.max(...learned)) : null,
      available: {
        batchTracks: value('batch_tracks'),
        popularity: value('popularity'),
        audioFeatures: value('audio_features'),
        previewUrls: value('preview_urls'),
      },
    };
  }

  /** A running pause that was cut to SPOTIFY_MAX_RETRY_AFTER_S (shared through Redis), else null. */
  async cappedPause(): Promise<CappedPause | null> {
    const pause = await this.limiter?.currentPause();
    if (!pause?.capped) return null;
    return {
      reason: 'retry_after_capped',
      until: new Date(Date.now() + pause.remainingMs),
      requestedSeconds: Math.ceil(pause.capped.requestedMs / 1000),
      cappedSeconds: Math.ceil(pause.capped.cappedMs / 1000),
    };
  }

  private async availability(capability: Capability): Promise<boolean | null> {
    return (await this.current(capability))?.available ?? null;
  }

  private async current(capability: Capability): Promise<Known | undefined> {
    const stale = !this.known.has(capability) && Date.now() - this.loadedAt > RELOAD_UNKNOWN_MS;
    if (this.loadedAt === 0 || stale) await this.load();
    return this.known.get(capability);
  }

  /** One process wins the re-check by moving checked_at forward; the others keep the stored answer. */
  private async claimRecheck(capability: Capability, known: Known): Promise<boolean> {
    const now = new Date();
    try {
      const result = await this.em.getConnection().execute(
        `UPDATE spotify_capabilities SET checked_at = ?
          WHERE client_id = ? AND capability = ? AND available = false AND checked_at < ?`,
        [utc(now), this.clientId, capability, utc(new Date(now.getTime() - this.recheckMs))],
        'run',
      );
      if ((result as { affectedRows?: number }).affectedRows === 1) {
        this.known.set(capability, { ...known, checkedAt: now });
        this.logger.log(`Re-checking Spotify capability ${capability}`);
        return true;
      }
    } catch (error) {
      this.logger.warn(`Could not claim the re-check of ${capability}: ${(error as Error).message}`);
      return false;
    }
    await this.load();
    return this.known.get(capability)?.available ?? false;
  }

  private load(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const rows = await this.em.fork().find(SpotifyCapabilityRecord, { clientId: this.clientId });
        for (const row of rows) {
          const mine = this.known.get(row.capability);
          if (!mine || mine.checkedAt.getTime() <= row.checkedAt.getTime()) {
            this.known.set(row.capability, { available: row.available, learnedAt: row.learnedAt, checkedAt: row.checkedAt });
          }
        }
      } catch (error) {
        this.logger.warn(`Could not read Spotify capabilities: ${(error as Error).message}`);
      } finally {
        this.loadedAt = Date.now();
      }
    })().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /** Best effort: a database hiccup must not fail the Spotify call that taught us this. */
  private async persist(capability: Capability, available: boolean, at: Date): Promise<void> {
    try {
      await this.em.getConnection().execute(
        `INSERT INTO spotify_capabilities (client_id, capability, available, learned_at, checked_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (client_id, capability) DO UPDATE SET
           learned_at = CASE WHEN spotify_capabilities.available = EXCLUDED.available
                             THEN spotify_capabilities.learned_at ELSE EXCLUDED.learned_at END,
           available = EXCLUDED.available,
           checked_at = EXCLUDED.checked_at`,
        [this.clientId, capability, available, utc(at), utc(at)],
        'run',
      );
    } catch (error) {
      this.logger.warn(`Could not store Spotify capability ${capability}: ${(error as Error).message}`);
    }
  }
}

export function tierOf(batchTracks: boolean | null, popularity: boolean | null): AccessTier {
  if (batchTracks === false) return 'development';
  if (batchTracks === true && popularity === true) return 'extended';
  return 'unknown';
}

/** `timestamp` columns hold UTC wall-clock time; an ISO string keeps the driver's local zone out of it. */
function utc(date: Date): string {
  return date.toISOString();
}
