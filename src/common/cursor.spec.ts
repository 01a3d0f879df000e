import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { configureCursorSigning, decodeCursor, encodeCursor } from './cursor';
import { InvalidInputException } from './validation';

const keyA = { encryptionKeys: [{ key: randomBytes(32) }] };

describe('signed cursors', () => {
  beforeEach(() => configureCursorSigning(keyA));

  const key = fc.oneof(fc.string(), fc.integer(), fc.constant(null));

  it('round-trips what it signed, and refuses any other string with a 400 on cursor', () => {
    fc.assert(
      fc.property(fc.array(key, { maxLength: 3 }), fc.string(), fc.string({ minLength: 1 }), (k, f, junk) => {
        const cursor = encodeCursor({ f, k });
        expect(decodeCursor(cursor, f)).toEqual(k);
        for (const other of [junk, cursor + junk, junk + cursor, cursor.slice(0, -1) + (cursor.endsWith('A') ? 'B' : 'A')]) {
          if (other === cursor) continue;
          expect(() => decodeCursor(other, f)).toThrow(InvalidInputException);
        }
      }),
    );
  });

  it('is refused by a process with another key, and accepted by one deriving the same key', () => {
    const cursor = encodeCursor({ f: 'x', k: ['a', 1] });
    configureCursorSigning({ encryptionKeys: [{ key: Buffer.from(keyA.encryptionKeys[0].key) }] });
    expect(decodeCursor(cursor, 'x')).toEqual(['a', 1]);
    configureCursorSigning({ encryptionKeys: [{ key: randomBytes(32) }] });
    expect(() => decodeCursor(cursor, 'x')).toThrow(InvalidInputException);
    configureCursorSigning({ cursorSigningKey: 'k'.repeat(32), encryptionKeys: keyA.encryptionKeys });
    expect(() => decodeCursor(cursor, 'x')).toThrow(InvalidInputException);
  });
});
