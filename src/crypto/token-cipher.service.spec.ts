import { randomBytes } from 'node:crypto';
import { TokenCipher, TokenDecryptionError } from './token-cipher.service';

const key = (id: string) => ({ id, key: randomBytes(32) });

describe('TokenCipher', () => {
  const k1 = key('k1');
  const k2 = key('k2');

  it('round-trips and never repeats a ciphertext (fresh IV per value)', () => {
    const cipher = new TokenCipher({ encryptionKeys: [k1] });
    const a = cipher.encrypt('BQD-secret-token');
    const b = cipher.encrypt('BQD-secret-token');
    expect(a).not.toBe(b);
    expect(a).not.toContain('secret');
    expect(a.split('.')).toHaveLength(5);
    expect(a.startsWith('v1.k1.')).toBe(true);
    expect(Buffer.from(a.split('.')[2], 'base64url')).toHaveLength(12);
    expect(cipher.decrypt(a)).toBe('BQD-secret-token');
    expect(cipher.decrypt(cipher.encrypt(''))).toBe('');
  });

  it('encrypts with the first key and decrypts with any configured key', () => {
    const old = new TokenCipher({ encryptionKeys: [k1] });
    const rotated = new TokenCipher({ encryptionKeys: [k2, k1] });
    const stored = old.encrypt('token');
    expect(rotated.decrypt(stored)).toBe('token');
    expect(rotated.isCurrent(stored)).toBe(false);
    const again = rotated.encrypt('token');
    expect(rotated.keyIdOf(again)).toBe('k2');
    expect(rotated.isCurrent(again)).toBe(true);
  });

  it('names an unknown key id clearly', () => {
    const stored = new TokenCipher({ encryptionKeys: [k1] }).encrypt('token');
    const other = new TokenCipher({ encryptionKeys: [k2] });
    expect(() => other.decrypt(stored)).toThrow(TokenDecryptionError);
    expect(() => other.decrypt(stored)).toThrow('key id "k1" is not in TOKEN_ENCRYPTION_KEYS');
  });

  it('refuses tampered values, a swapped key id, a wrong key and plaintext, without echoing them', () => {
    const cipher = new TokenCipher({ encryptionKeys: [k1] });
    const stored = cipher.encrypt('token');
    const parts = stored.split('.');
    const flipped = Buffer.from(parts[4], 'base64url');
    flipped[0] ^= 1;
    expect(() => cipher.decrypt([...parts.slice(0, 4), flipped.toString('base64url')].join('.'))).toThrow(
      'authentication failed',
    );
    const sameKeyOtherId = new TokenCipher({ encryptionKeys: [k1, { id: 'k9', key: k1.key }] });
    expect(() => sameKeyOtherId.decrypt(['v1', 'k9', ...parts.slice(2)].join('.'))).toThrow('authentication failed');
    expect(() => new TokenCipher({ encryptionKeys: [{ id: 'k1', key: randomBytes(32) }] }).decrypt(stored)).toThrow(
      'authentication failed',
    );
    expect(() => cipher.decrypt('plain-secret-token')).toThrow('not in the v1 format');
    try {
      cipher.decrypt('plain-secret-token');
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('plain-secret-token');
    }
  });
});
