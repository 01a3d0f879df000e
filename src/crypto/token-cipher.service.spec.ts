import { createCipheriv, randomBytes } from 'node:crypto';
import { TokenBinding, TokenCipher, TokenDecryptionError } from './token-cipher.service';

const key = (id: string) => ({ id, key: randomBytes(32) });
const at = (rowKey: string, column = 'access_token'): TokenBinding => ({ table: 'spotify_connections', column, rowKey });
const ALICE = at('11111111-1111-4111-8111-111111111111');
const BOB = at('22222222-2222-4222-8222-222222222222');

/** A value as the first edition wrote it: v1, additional data "v1.<keyId>" only. */
function v1(plain: string, k: { id: string; key: Buffer }): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k.key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(`v1.${k.id}`));
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', k.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

describe('TokenCipher', () => {
  const k1 = key('k1');
  const k2 = key('k2');

  it('round-trips and never repeats a ciphertext (fresh IV per value)', () => {
    const cipher = new TokenCipher({ encryptionKeys: [k1] });
    const a = cipher.encrypt('BQD-secret-token', ALICE);
    const b = cipher.encrypt('BQD-secret-token', ALICE);
    expect(a).not.toBe(b);
    expect(a).not.toContain('secret');
    expect(a.split('.')).toHaveLength(5);
    expect(a.startsWith('v2.k1.')).toBe(true);
    expect(Buffer.from(a.split('.')[2], 'base64url')).toHaveLength(12);
    expect(cipher.decrypt(a, ALICE)).toBe('BQD-secret-token');
    expect(cipher.decrypt(cipher.encrypt('', ALICE), ALICE)).toBe('');
  });

  it('binds a value to its table, column and user: copied anywhere else it does not decrypt', () => {
    const cipher = new TokenCipher({ encryptionKeys: [k1] });
    const stored = cipher.encrypt('alice-grant', ALICE);
    for (const elsewhere of [BOB, at(ALICE.rowKey, 'refresh_token'), { ...ALICE, table: 'other_table' }, at(`${ALICE.rowKey}x`)]) {
      expect(() => cipher.decrypt(stored, elsewhere)).toThrow(TokenDecryptionError);
      expect(() => cipher.decrypt(stored, elsewhere)).toThrow('copied from another row or column');
    }
    // parts cannot be shifted between fields to forge a binding
    const tricky = cipher.encrypt('t', { table: 'a.b', column: 'c', rowKey: 'd' });
    expect(() => cipher.decrypt(tricky, { table: 'a', column: 'b.c', rowKey: 'd' })).toThrow(TokenDecryptionError);
  });

  it('still decrypts v1 values (unbound), and does not count them as current', () => {
    const cipher = new TokenCipher({ encryptionKeys: [k1] });
    const old = v1('legacy-token', k1);
    expect(cipher.decrypt(old, ALICE)).toBe('legacy-token');
    expect(cipher.keyIdOf(old)).toBe('k1');
    expect(cipher.isCurrent(old)).toBe(false);
    expect(cipher.isCurrent(cipher.encrypt('x', ALICE))).toBe(true);
  });

  it('encrypts with the first key and decrypts with any configured key', () => {
    const old = new TokenCipher({ encryptionKeys: [k1] });
    const rotated = new TokenCipher({ encryptionKeys: [k2, k1] });
    const stored = old.encrypt('token', ALICE);
    expect(rotated.decrypt(stored, ALICE)).toBe('token');
    expect(rotated.isCurrent(stored)).toBe(false);
    const again = rotated.encrypt('token', ALICE);
    expect(rotated.keyIdOf(again)).toBe('k2');
    expect(rotated.isCurrent(again)).toBe(true);
  });

  it('names an unknown key id clearly', () => {
    const stored = new TokenCipher({ encryptionKeys: [k1] }).encrypt('token', ALICE);
    const other = new TokenCipher({ encryptionKeys: [k2] });
    expect(() => other.decrypt(stored, ALICE)).toThrow(TokenDecryptionError);
    expect(() => other.decrypt(stored, ALICE)).toThrow('key id "k1" is not in TOKEN_ENCRYPTION_KEYS');
  });

  it('refuses tampered values, a swapped key id or version, a wrong key and plaintext, without echoing them', () => {
    const cipher = new TokenCipher({ encryptionKeys: [k1] });
    const stored = cipher.encrypt('token', ALICE);
    const parts = stored.split('.');
    const flipped = Buffer.from(parts[4], 'base64url');
    flipped[0] ^= 1;
    expect(() => cipher.decrypt([...parts.slice(0, 4), flipped.toString('base64url')].join('.'), ALICE)).toThrow('authentication failed');
    const sameKeyOtherId = new TokenCipher({ encryptionKeys: [k1, { id: 'k9', key: k1.key }] });
    expect(() => sameKeyOtherId.decrypt(['v2', 'k9', ...parts.slice(2)].join('.'), ALICE)).toThrow('authentication failed');
    // a downgrade to v1 (which would drop the binding) fails too
    expect(() => cipher.decrypt(['v1', ...parts.slice(1)].join('.'), ALICE)).toThrow('authentication failed');
    expect(() => new TokenCipher({ encryptionKeys: [{ id: 'k1', key: randomBytes(32) }] }).decrypt(stored, ALICE)).toThrow('authentication failed');
    expect(() => cipher.decrypt('plain-secret-token', ALICE)).toThrow('not in the v1 or v2 format');
    try {
      cipher.decrypt('plain-secret-token', ALICE);
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('plain-secret-token');
    }
  });
});
