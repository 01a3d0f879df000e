import { Inject, Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig, EncryptionKey } from '../config/app-config';

/** v2 binds each value to its row and column; v1 values (key id only) still decrypt. */
const VERSION = 'v2';
const VERSIONS = new Set(['v1', 'v2']);

/** Where a value lives: its table, its column and the id of the row's owner (the user id). */
export interface TokenBinding {
  table: string;
  column: string;
  rowKey: string;
}
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A stored value that cannot be decrypted. Never carries the value itself. */
export class TokenDecryptionError extends Error {
  constructor(reason: string) {
    super(`Stored token cannot be decrypted: ${reason}`);
    this.name = 'TokenDecryptionError';
  }
}

/**
 * AES-256-GCM for tokens at rest: `v2.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts).
 * The first configured key encrypts; every configured key decrypts, so keys can be rotated.
 * The authenticated data covers the version, the key id, and (v2) the table, column and user
 * id the value belongs to: a value copied into another user's row, or from one column to the
 * other, fails authentication instead of lending one user's grant to another.
 */
@Injectable()
export class TokenCipher {
  private readonly current: EncryptionKey;
  private readonly keys: Map<string, Buffer>;

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'encryptionKeys'>) {
    if (config.encryptionKeys.length === 0) throw new Error('TokenCipher needs at least one encryption key');
    this.current = config.encryptionKeys[0];
    this.keys = new Map(config.encryptionKeys.map((k) => [k.id, k.key]));
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  encrypt(plaintext: string, binding: TokenBinding): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(VERSION, this.current.id, binding));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, this.current.id, iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  decrypt(stored: string, binding: TokenBinding): string {
    const parts = stored.split('.');
    if (parts.length !== 5 || !VERSIONS.has(parts[0])) throw new TokenDecryptionError('not in the v1 or v2 format');
    const [version, keyId, ivText, tagText, ciphertextText] = parts;
    const key = this.keys.get(keyId);
    if (!key) {
      throw new TokenDecryptionError(`key id "${keyId}" is not in TOKEN_ENCRYPTION_KEYS`);
    }
    const iv = Buffer.from(ivText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new TokenDecryptionError('malformed IV or tag');
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(version, keyId, binding));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(ciphertextText, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new TokenDecryptionError(
        `authentication failed with key "${keyId}" (wrong key, a tampered value, or one copied from another row or column)`,
      );
    }
  }

  /** The key id a stored value was encrypted with, or null when it is not a v1/v2 value (plaintext). */
  keyIdOf(stored: string): string | null {
    const parts = stored.split('.');
    return parts.length === 5 && VERSIONS.has(parts[0]) ? parts[1] : null;
  }

  /** Encrypted in the current format under the current key: nothing for tokens:reencrypt to do. */
  isCurrent(stored: string): boolean {
    return stored.startsWith(`${VERSION}.`) && this.keyIdOf(stored) === this.current.id;
  }
}

function additionalData(version: string, keyId: string, binding: TokenBinding): Buffer {
  if (version === 'v1') return Buffer.from(`v1.${keyId}`);
  // JSON keeps the parts apart whatever characters they hold
  return Buffer.from(JSON.stringify([version, keyId, binding.table, binding.column, binding.rowKey]));
}
