import type { IncomingMessage } from 'node:http';
import { FieldError } from './error-body';
import { InvalidInputException } from './validation';

/** The contract's structural limits ("Limits and defences"), checked before the body is even parsed. */
export const BODY_LIMITS = {
  maxKeysPerObject: 100,
  maxValues: 50_000,
  maxDepth: 32,
  maxStringLength: 10_000,
  /** no field of ours is near this; it bounds the paths named in answers */
  maxKeyLength: 100,
};

export type BodyLimits = typeof BODY_LIMITS;

interface Frame {
  object: boolean;
  keys: number;
  /** current key (objects), as byte offsets: decoded only to name a field in an answer */
  keyStart: number;
  keyEnd: number;
  /** current index (arrays) */
  index: number;
  expectKey: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NUL_ESCAPE = Buffer.from('\\u0000');
/** longer than any number a double can tell apart */
const MAX_LITERAL_BYTES = 400;

/** Index of the quote ending the string that starts at `from`, or raw.length. */
function closingQuote(raw: Buffer, from: number): number {
  // short strings (most keys and values) end sooner than a native call returns
  const near = Math.min(from + 32, raw.length);
  for (let j = from; j < near; j++) {
    const b = raw[j];
    if (b === QUOTE) return j;
    if (b === BACKSLASH) break;
  }
  let i = from;
  for (;;) {
    const quote = raw.indexOf(QUOTE, i);
    if (quote === -1) return raw.length;
    let backslashes = 0;
    while (raw[quote - 1 - backslashes] === BACKSLASH && quote - 1 - backslashes >= from) backslashes++;
    if (backslashes % 2 === 0) return quote;
    i = quote + 1;
  }
}

/** The string's value (JSON.parse of its literal, native), or null when it is malformed. */
function decodeString(raw: Buffer, start: number, end: number): string | null {
  try {
    const value: unknown = JSON.parse(raw.toString('utf8', start - 1, Math.min(end + 1, raw.length)));
    return typeof value === 'string' ? value : null;
  } catch {
    return null;
  }
}

function pathOf(raw: Buffer, stack: Frame[], upTo = stack.length): string {
  let path = '';
  for (let i = 0; i < upTo; i++) {
    const frame = stack[i];
    if (frame.object) {
      const key = decodeString(raw, frame.keyStart, frame.keyEnd) ?? '?';
      path += path ? `.${key}` : key;
    } else {
      path += `[${frame.index}]`;
    }
  }
  return path || 'body';
}

/**
 * Finds the first structural problem in a raw JSON body, or null, in one pass over its bytes
 * and before JSON.parse: parsing an object of 80,000 keys alone blocks the loop for over 100 ms,
 * and the ValidationPipe's cost on such shapes grows faster than linearly. Iterative, stops at
 * the first problem; malformed JSON is left to JSON.parse to refuse.
 */
export function findBodyShapeProblem(raw: Buffer, limits: BodyLimits = BODY_LIMITS): FieldError | null {
  const stack: Frame[] = [];
  let values = 0;
  // where the next `\u0000` escape is; searched again only once passed, so the scan stays linear
  let nextNul = raw.indexOf(NUL_ESCAPE);
  const tooMany = (): FieldError => ({ field: 'body', reasons: [`body holds more than ${limits.maxValues} values`] });
  const length = raw.length;
  let i = 0;
  while (i < length) {
    const byte = raw[i];
    if (byte === 0x7b /* { */ || byte === 0x5b /* [ */) {
      if (++values > limits.maxValues) return tooMany();
      if (stack.length >= limits.maxDepth) {
        const field = pathOf(raw, stack);
        return { field, reasons: [`${field} is nested deeper than ${limits.maxDepth} levels`] };
      }
      const parent = stack[stack.length - 1];
      if (parent && parent.object) parent.expectKey = false;
      stack.push({ object: byte === 0x7b, keys: 0, keyStart: 0, keyEnd: 0, index: 0, expectKey: byte === 0x7b });
      i++;
    } else if (byte === 0x7d /* } */ || byte === 0x5d /* ] */) {
      stack.pop();
      i++;
    } else if (byte === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top) {
        if (top.object) top.expectKey = true;
        else top.index++;
      }
      i++;
    } else if (byte === QUOTE) {
      const start = i + 1;
      const end = closingQuote(raw, start);
      i = end + 1;
      const top = stack[stack.length - 1];
      if (top && top.object && top.expectKey) {
        top.expectKey = false;
        if (++top.keys > limits.maxKeysPerObject) {
          const field = pathOf(raw, stack, stack.length - 1);
          return { field, reasons: [`${field} has more than ${limits.maxKeysPerObject} keys`] };
        }
        if (nextNul !== -1 && nextNul < start) nextNul = raw.indexOf(NUL_ESCAPE, start);
        // bytes >= characters: only a long span or a NUL escape needs decoding to judge
        if (end - start > limits.maxKeyLength || (nextNul !== -1 && nextNul < end)) {
          const key = end - start <= limits.maxKeyLength * 6 ? decodeString(raw, start, end) : null;
          if (key === null || key.length > limits.maxKeyLength || key.includes('\u0000')) {
            const field = pathOf(raw, stack, stack.length - 1);
            return { field, reasons: [`${field} has a key that is too long, malformed or contains NUL`] };
          }
        }
        top.keyStart = start;
        top.keyEnd = end;
        continue;
      }
      if (++values > limits.maxValues) return tooMany();
      // bytes >= characters, so only a long span or a NUL escape needs the exact (native) decode
      if (nextNul !== -1 && nextNul < start) nextNul = raw.indexOf(NUL_ESCAPE, start);
      const suspectNul = nextNul !== -1 && nextNul < end;
      if (end - start > limits.maxStringLength || suspectNul) {
        const text = decodeString(raw, start, end);
        if (text !== null && text.length > limits.maxStringLength) {
          const field = pathOf(raw, stack);
          return { field, reasons: [`${field} is longer than ${limits.maxStringLength} characters`] };
        }
        if (text !== null && text.includes('\u0000')) {
          const field = pathOf(raw, stack);
          return { field, reasons: [`${field} must not contain NUL characters`] };
        }
      }
    } else if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09 || byte === 0x3a /* : */) {
      i++;
    } else {
      // a number, true, false or null: one value up to the next delimiter
      if (++values > limits.maxValues) return tooMany();
      const start = i;
      i++;
      while (i < length) {
        const b = raw[i];
        if (b === 0x2c || b === 0x7d || b === 0x5d || b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09 || b === QUOTE) break;
        i++;
      }
      if (i - start > MAX_LITERAL_BYTES) {
        const field = pathOf(raw, stack);
        return { field, reasons: [`${field} is not a number of a sensible length`] };
      }
    }
  }
  return null;
}

/**
 * Runs the scanner over every kind of input once at start-up, so the first hostile request meets
 * optimised code: cold, the same scan of 1 MB takes over 50 ms.
 */
export function warmUpBodyShapeScanner(): void {
  const row = { title: 'Wärm-up \u00e9 "quoted" \\ 🎵', artist: 'x'.repeat(200), n: -12.5e3, ok: true, none: null, list: [1, [2, [3]]] };
  const bodies = [
    JSON.stringify({ songs: Array.from({ length: 2_000 }, () => row) }),
    JSON.stringify({ songs: Array.from({ length: 2_000 }, () => row) }, null, 2),
    JSON.stringify({ long: 'y'.repeat(20_000) }),
    JSON.stringify({ nul: 'a\u0000' }),
    `[${'1,'.repeat(60_000)}1]`,
    '['.repeat(100) + ']'.repeat(100),
    `{${Array.from({ length: 200 }, (_, i) => `"k${i}":1`).join(',')}}`,
  ].map((body) => Buffer.from(body));
  for (let round = 0; round < 5; round++) for (const body of bodies) findBodyShapeProblem(body);
}

/** body-parser `verify` hook: runs on the raw bytes before JSON.parse; its 400 keeps our error shape. */
export function verifyBodyShape(_req: IncomingMessage, _res: unknown, raw: Buffer): void {
  const problem = findBodyShapeProblem(raw);
  if (problem) throw new InvalidInputException([problem]);
}
