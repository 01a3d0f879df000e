import { createHash } from 'node:crypto';
import { isUUID } from 'class-validator';
import { FieldError } from '../../common/error-body';
import { InvalidInputException } from '../../common/validation';
import { JOB_PRIORITIES, JobPriority, JobType } from '../records/spotify-sync-job.entity';
import { parseIsoDuration } from './iso-duration';

/** Every job type's parameters, as stored (defaults filled) and as handlers get them. */
export interface JobParametersByType {
  track_sync: { songIds?: string[]; staleAfter?: string; maxRequests?: number };
  popularity_update: { staleAfter: string; maxRequests?: number };
  user_library: Record<string, never>;
}

/** Every job type's checkpoint: carried across restarts, written together with the progress. */
export interface JobCheckpointByType {
  track_sync: { position?: number; settled?: string[]; cutoff?: string; requestsUsed?: number };
  popularity_update: { cutoff?: string; requestsUsed?: number };
  user_library: {
    /** when this pass started: saves not seen since then left the library (only after a complete pass) */
    runStart?: string;
    /** Spotify's offset of the next page: offset + items on Spotify's page, usable or not */
    offset?: number;
    note?: string;
    /** items without a usable track, by reason, over the pass */
    skipped?: Record<string, number>;
    /** the first page as Spotify sent it (hash of total, items and their added_at): "unchanged" compares it */
    firstPage?: string;
    /** every page up to `next: null` was fetched */
    passComplete?: boolean;
  };
}

/** Any job type's parameters, as stored. */
export type JobParameters = { songIds?: string[]; staleAfter?: string; maxRequests?: number };

/** The defaults, in one place. */
export const DEFAULT_STALE_AFTER = {
  track_sync: 'P7D',
  popularity_update: 'PT24H',
} as const;

/**
 * What the schedules sweep, per access tier (README "Sweeps and the request budget" has the
 * arithmetic). Development pays one request a song and gets no popularity or audio features, so its
 * songs are refreshed monthly; extended pays about 0.03 requests a song. `unknown` is costed as development.
 */
export const SWEEP_STALE_AFTER = {
  development: { track_sync: 'P30D' },
  unknown: { track_sync: 'P30D' },
  extended: { track_sync: 'P7D', popularity_update: 'PT24H' },
} as const;

export const LIMITS = {
  staleAfterChars: 32,
  staleAfterMinMs: 60_000,
  staleAfterMaxMs: 10 * 365 * 86_400_000,
  maxRequests: 1_000_000,
  songIds: 1_000,
} as const;

const ALLOWED: { [K in JobType]: (keyof JobParametersByType[K] & string)[] } = {
  track_sync: ['songIds', 'staleAfter', 'maxRequests'],
  popularity_update: ['staleAfter', 'maxRequests'],
  user_library: [],
};

export interface NormalisedJobRequest {
  type: JobType;
  targetId: string | null;
  parameters: JobParameters;
  /** the caller's, or the default for what the job names (defaultPriority) */
  priority: JobPriority;
  /** same type, target and parameters (defaults filled, keys and id lists sorted) → same key */
  dedupeKey: string;
}

/** Stored parameters the runner cannot use: the job fails at once, never retried. */
export class JobParametersError extends Error {
  constructor(readonly details: FieldError[]) {
    super(`The job's parameters cannot be used: ${details.map((d) => `${d.field}: ${d.reasons.join(', ')}`).join('; ')}`);
    this.name = 'JobParametersError';
  }
}

/** staleAfter in milliseconds, or null when it is not a bounded ISO-8601 duration. */
export function staleAfterMs(value: unknown): number | null {
  if (typeof value !== 'string' || value.length > LIMITS.staleAfterChars) return null;
  const ms = parseIsoDuration(value);
  return ms !== null && Number.isFinite(ms) && ms >= LIMITS.staleAfterMinMs && ms <= LIMITS.staleAfterMaxMs ? ms : null;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

function check(type: JobType, targetId: string | null, parameters: unknown): { params: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const bad = (field: string, reason: string) => errors.push({ field, reasons: [reason] });
  const params: Record<string, unknown> = {};
  if (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters)) {
    bad('parameters', 'parameters must be an object');
    return { params, errors };
  }
  const given = parameters as Record<string, unknown>;

  for (const key of Object.keys(given)) {
    if (!(ALLOWED[type] as string[]).includes(key)) bad(`parameters.${key.slice(0, 64)}`, `${key.slice(0, 64)} is not a parameter of ${type}`);
  }
  if (type === 'user_library' && !targetId) bad('targetId', 'user_library needs targetId: the user id');
  if (type === 'popularity_update' && targetId) bad('targetId', 'popularity_update takes no targetId');

  const { songIds, staleAfter, maxRequests } = given;
  if (songIds !== undefined) {
    if (!Array.isArray(songIds) || songIds.length === 0 || songIds.length > LIMITS.songIds || !songIds.every((id) => typeof id === 'string' && isUUID(id))) {
      bad('parameters.songIds', 'songIds must be 1 to 1,000 song ids (UUIDs)');
    } else if (targetId) {
      bad('parameters.songIds', 'give either targetId or songIds, not both');
    } else {
      params.songIds = [...new Set(songIds as string[])].sort();
    }
  }
  const namesSongs = type === 'track_sync' && (targetId || songIds !== undefined);
  if (staleAfter !== undefined) {
    if (staleAfterMs(staleAfter) === null) {
      bad('parameters.staleAfter', 'staleAfter must be an ISO-8601 duration such as P7D or PT24H, at most 32 characters, from 1 minute to 10 years');
    } else if (namesSongs) {
      bad('parameters.staleAfter', 'staleAfter applies only when no song is named');
    } else {
      params.staleAfter = staleAfter;
    }
  } else if (type !== 'user_library' && !namesSongs) {
    params.staleAfter = DEFAULT_STALE_AFTER[type];
  }
  if (maxRequests !== undefined) {
    if (typeof maxRequests !== 'number' || !Number.isInteger(maxRequests) || maxRequests < 1 || maxRequests > LIMITS.maxRequests) {
      bad('parameters.maxRequests', 'maxRequests must be an integer from 1 to 1,000,000');
    } else {
      params.maxRequests = maxRequests;
    }
  }
  return { params, errors };
}

/**
 * interactive when a caller named the song(s) or the user (track_sync with targetId or songIds,
 * user_library); bulk for sweeps (track_sync/popularity_update over stale songs).
 */
export function defaultPriority(type: JobType, targetId: string | null, parameters: JobParameters): JobPriority {
  if (type === 'user_library') return 'interactive';
  if (type === 'track_sync' && (targetId || parameters.songIds)) return 'interactive';
  return 'bulk';
}

function checkPriority(asked: unknown, byDefault: JobPriority): { priority: JobPriority; error?: FieldError } {
  if (asked === undefined || asked === null) return { priority: byDefault };
  if (typeof asked !== 'string' || !(JOB_PRIORITIES as readonly string[]).includes(asked)) {
    return { priority: byDefault, error: { field: 'priority', reasons: ['priority must be interactive or bulk'] } };
  }
  if (asked === 'interactive' && byDefault === 'bulk') {
    return { priority: byDefault, error: { field: 'priority', reasons: ['a sweep (no song or user named) runs as bulk; it can only be lowered, never raised'] } };
  }
  return { priority: asked as JobPriority };
}

/**
 * Validates a job request and fills its defaults, once, at creation; a 400 names every bad field.
 * The priority is not part of the dedupe key: an identical job is the same work whatever its lane
 * (SyncJobsService promotes a pending bulk twin when an interactive caller asks for it).
 */
export function normaliseJobRequest(
  type: JobType,
  targetId: string | undefined | null,
  parameters: unknown = {},
  priority?: unknown,
): NormalisedJobRequest {
  const { params, errors } = check(type, targetId ?? null, parameters);
  const normal = sortKeys(params) as JobParameters;
  const lane = checkPriority(priority, defaultPriority(type, targetId ?? null, normal));
  if (lane.error) errors.push(lane.error);
  if (errors.length) throw new InvalidInputException(errors);
  const dedupeKey = createHash('sha256')
    .update(JSON.stringify([type, targetId ?? null, normal]))
    .digest('hex');
  return { type, targetId: targetId ?? null, parameters: normal, priority: lane.priority, dedupeKey };
}

/**
 * A stored row's parameters as its handler gets them. Rows are written by normaliseJobRequest,
 * so this only fails on rows from elsewhere (an older release, a hand edit): JobParametersError.
 */
export function parseStoredParameters<T extends JobType>(type: T, targetId: string | null, stored: unknown): JobParametersByType[T] {
  const { params, errors } = check(type, targetId, stored ?? {});
  if (errors.length) throw new JobParametersError(errors);
  return params as JobParametersByType[T];
}
