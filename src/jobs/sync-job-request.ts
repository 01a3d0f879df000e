import { createHash } from 'node:crypto';
import { isUUID } from 'class-validator';
import { FieldError } from '../common/error-body';
import { InvalidInputException } from '../common/validation';
import { DEFAULT_STALE_AFTER } from './jobs.constants';
import { parseIsoDuration } from './iso-duration';
import type { JobType } from './spotify-sync-job.entity';

export interface NormalisedJobRequest {
  type: JobType;
  targetId: string | null;
  parameters: Record<string, unknown>;
  /** same type, target and parameters (defaults filled, keys and id lists sorted) → same key */
  dedupeKey: string;
}

const ALLOWED: Record<JobType, string[]> = {
  track_sync: ['songIds', 'staleAfter', 'maxRequests'],
  popularity_update: ['staleAfter', 'maxRequests'],
  user_library: [],
};

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

/** Validates a job request and fills its defaults; a 400 names every bad field. */
export function normaliseJobRequest(
  type: JobType,
  targetId: string | undefined | null,
  parameters: Record<string, unknown> = {},
): NormalisedJobRequest {
  const errors: FieldError[] = [];
  const bad = (field: string, reason: string) => errors.push({ field, reasons: [reason] });
  const params: Record<string, unknown> = {};

  for (const key of Object.keys(parameters)) {
    if (!ALLOWED[type].includes(key)) bad(`parameters.${key}`, `${key} is not a parameter of ${type}`);
  }
  if (type === 'user_library' && !targetId) bad('targetId', 'user_library needs targetId: the user id');
  if (type === 'popularity_update' && targetId) bad('targetId', 'popularity_update takes no targetId');

  const { songIds, staleAfter, maxRequests } = parameters;
  if (songIds !== undefined) {
    if (!Array.isArray(songIds) || songIds.length === 0 || songIds.length > 1000 || !songIds.every((id) => isUUID(id))) {
      bad('parameters.songIds', 'songIds must be 1 to 1,000 song ids (UUIDs)');
    } else if (targetId) {
      bad('parameters.songIds', 'give either targetId or songIds, not both');
    } else {
      params.songIds = [...new Set(songIds as string[])].sort();
    }
  }
  const namesSongs = type === 'track_sync' && (targetId || songIds !== undefined);
  if (staleAfter !== undefined) {
    if (typeof staleAfter !== 'string' || parseIsoDuration(staleAfter) === null) {
      bad('parameters.staleAfter', 'staleAfter must be an ISO-8601 duration such as P7D or PT24H');
    } else if (namesSongs) {
      bad('parameters.staleAfter', 'staleAfter applies only when no song is named');
    } else {
      params.staleAfter = staleAfter;
    }
  } else if (type !== 'user_library' && !namesSongs) {
    params.staleAfter = DEFAULT_STALE_AFTER[type];
  }
  if (maxRequests !== undefined) {
    if (!Number.isInteger(maxRequests) || (maxRequests as number) < 1 || (maxRequests as number) > 1_000_000) {
      bad('parameters.maxRequests', 'maxRequests must be an integer from 1 to 1,000,000');
    } else {
      params.maxRequests = maxRequests;
    }
  }
  if (errors.length) throw new InvalidInputException(errors);

  const normal = sortKeys(params) as Record<string, unknown>;
  const dedupeKey = createHash('sha256')
    .update(JSON.stringify([type, targetId ?? null, normal]))
    .digest('hex');
  return { type, targetId: targetId ?? null, parameters: normal, dedupeKey };
}
