import fc from 'fast-check';
import { BODY_LIMITS, BodyLimits, findBodyShapeProblem, warmUpBodyShapeScanner } from './body-shape.guard';

const SMALL: BodyLimits = { maxKeysPerObject: 3, maxValues: 25, maxDepth: 3, maxStringLength: 6, maxKeyLength: 4 };

/** The rules stated on parsed values, recursively: the reference the byte scanner must agree with. */
function violates(value: unknown, limits: BodyLimits): boolean {
  let values = 0;
  const walk = (v: unknown, depth: number): boolean => {
    values += 1;
    if (typeof v === 'string') return v.length > limits.maxStringLength || v.includes('\u0000');
    if (v === null || typeof v !== 'object') return false;
    if (depth + 1 > limits.maxDepth) return true;
    if (Array.isArray(v)) return v.some((item) => walk(item, depth + 1));
    const keys = Object.keys(v);
    if (keys.length > limits.maxKeysPerObject) return true;
    if (keys.some((k) => k.length > limits.maxKeyLength || k.includes('\u0000'))) return true;
    return keys.some((k) => walk((v as Record<string, unknown>)[k], depth + 1));
  };
  return walk(value, 0) || values > limits.maxValues;
}

const scan = (value: unknown, limits = SMALL) => findBodyShapeProblem(Buffer.from(JSON.stringify(value), 'utf8'), limits);

describe('findBodyShapeProblem', () => {
  it('agrees with the rules on arbitrary JSON (any unicode, escapes, whitespace)', () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('\u0000', 'a\u0000b', '\ud83c\udfb5', '"\\'));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), text, tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 5 }),
      object: fc.dictionary(text, tie('value'), { maxKeys: 5 }),
    })).value;
    fc.assert(
      fc.property(json, fc.boolean(), (value, pretty) => {
        const text = pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value);
        const problem = findBodyShapeProblem(Buffer.from(text, 'utf8'), SMALL);
        expect(problem !== null).toBe(violates(JSON.parse(text), SMALL));
      }),
      { numRuns: 2_000 },
    );
  });

  it('names the field at fault', () => {
    expect(scan({ a: [1, { b: 'x'.repeat(7) }] })).toEqual({ field: 'a[1].b', reasons: ['a[1].b is longer than 6 characters'] });
    expect(scan({ t: 'a\u0000' })).toEqual({ field: 't', reasons: ['t must not contain NUL characters'] });
    expect(scan({ a: { b: { c: {} } } })?.field).toBe('a.b.c');
    expect(scan({ a: { k1: 1, k2: 2, k3: 3, k4: 4 } })?.field).toBe('a');
    expect(scan(Array.from({ length: 30 }, () => 1))?.field).toBe('body');
  });

  it('is linear and stops early: 1 MB of keys, of nesting, or of values is refused in a few ms', () => {
    const bodies = [
      `{${Array.from({ length: 80_000 }, (_, i) => `"k${i}":1`).join(',')}}`,
      '['.repeat(500_000) + ']'.repeat(500_000),
      `[${'1,'.repeat(400_000)}1]`,
      `{"a":"${'x'.repeat(1_000_000)}"}`,
    ];
    // as setupApp does at start-up
    warmUpBodyShapeScanner();
    for (const body of bodies) {
      const raw = Buffer.from(body);
      const started = performance.now();
      expect(findBodyShapeProblem(raw, BODY_LIMITS)).not.toBeNull();
      expect(performance.now() - started).toBeLessThan(50);
    }
  });

  it('never throws on malformed input (JSON.parse refuses it afterwards)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        findBodyShapeProblem(Buffer.from(bytes), SMALL);
      }),
    );
  });
});
