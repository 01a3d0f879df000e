const PATTERN = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const UNIT_MS = [365 * 86_400_000, 30 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1_000];

/**
 * ISO-8601 durations such as `P7D` or `PT24H`, in milliseconds (a year counts 365 days, a
 * month 30). Null when the text is not a duration or is zero.
 */
export function parseIsoDuration(text: string): number | null {
  const match = PATTERN.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return null;
  const ms = match.slice(1).reduce((sum, part, i) => sum + (part ? Number(part) * UNIT_MS[i] : 0), 0);
  return ms > 0 ? ms : null;
}
