import fc from 'fast-check';
import { canonicalJson, isStorableStatus, parseIdempotencyKey, requestFingerprint } from './idempotency-request';

const visible = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const visibleKey = fc.array(visible, { minLength: 1, maxLength: 255 }).map((cs) => cs.join(''));

describe('Idempotency-Key header', () => {
  it('accepts every string of 1 to 255 visible ASCII characters as it is', () => {
    fc.assert(fc.property(visibleKey, (key) => expect(parseIdempotencyKey(key)).toEqual({ key })));
  });

  it('refuses anything holding another character, empty, or longer than 255', () => {
    const other = fc.integer({ min: 0, max: 0xffff }).filter((c) => c < 0x21 || c > 0x7e).map((c) => String.fromCharCode(c));
    const withOther = fc.tuple(fc.string({ maxLength: 100 }), other, fc.string({ maxLength: 100 })).map(([a, b, c]) => a + b + c);
    const tooLong = fc.array(visible, { minLength: 256, maxLength: 400 }).map((cs) => cs.join(''));
    fc.assert(fc.property(fc.oneof(withOther, tooLong, fc.constant('')), (header) => expect(parseIdempotencyKey(header)).toHaveProperty('error')));
  });

  it('treats a repeated header as invalid and an absent one as no key', () => {
    expect(parseIdempotencyKey(['a', 'b'])).toHaveProperty('error');
    expect(parseIdempotencyKey(undefined)).toBeNull();
  });
});

describe('request fingerprint', () => {
  const json = fc.jsonValue();

  it('does not depend on the order of object keys', () => {
    const shuffle = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(shuffle)
        : value !== null && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value as Record<string, unknown>).reverse().map(([k, v]) => [k, shuffle(v)]))
          : value;
    fc.assert(fc.property(json, (body) => expect(canonicalJson(shuffle(body))).toBe(canonicalJson(body))));
  });

  it('is the same JSON value back when parsed (nothing is lost)', () => {
    fc.assert(fc.property(json, (body) => expect(JSON.parse(canonicalJson(body))).toEqual(JSON.parse(JSON.stringify(body)))));
  });

  it('differs with the method, the path or the body', () => {
    const base = requestFingerprint('POST', '/v1/songs', { title: 'a' });
    expect(requestFingerprint('POST', '/v1/songs/bulk', { title: 'a' })).not.toBe(base);
    expect(requestFingerprint('PUT', '/v1/songs', { title: 'a' })).not.toBe(base);
    expect(requestFingerprint('POST', '/v1/songs', { title: 'b' })).not.toBe(base);
    expect(requestFingerprint('POST', '/v1/songs', [{ title: 'a' }])).not.toBe(base);
  });
});

it('stores final answers only', () => {
  expect([200, 201, 202, 400, 404, 413, 422].every(isStorableStatus)).toBe(true);
  expect([302, 408, 409, 425, 429, 500, 502, 503].some(isStorableStatus)).toBe(false);
});
