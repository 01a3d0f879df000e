import { Inject, Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig, EncryptionKey } from '../config/app-config';

const VERSION = 'v1';
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
 * AES-256-GCM for tokens at rest: `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts).
 * The first configured key encrypts; every configured key decrypts, so keys can be rotated.
 * The version and key id are authenticated too (additional data), so they cannot be swapped.
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

  encrypt(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(`${VERSION}.${this.current.id}`));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, this.current.id, iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  decrypt(stored: string): string {
    const parts = stored.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new TokenDecryptionError('not in the v1 format');
    const [, keyId, ivText, tagText, ciphertextText] = parts;
    const key = this.keys.get(keyId);
    if (!key) {
      throw new TokenDecryptionError(`key id "${keyId}" is not in TOKEN_ENCRYPTION_KEYS`);
    }
    const iv = Buffer.from(ivText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new TokenDecryptionError('malformed IV or tag');
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(`${VERSION}.${keyId}`));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(ciphertextText, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new TokenDecryptionError(`authentication failed with key "${keyId}" (wrong key or tampered value)`);
    }
  }

  /** The key id a stored value was encrypted with, or null when it is not a v1 value. */
  keyIdOf(stored: string): string | null {
    const parts = stored.split('.');
    return parts.length === 5 && parts[0] === VERSION ? parts[1] : null;
  }

  isCurrent(stored: string): boolean {
    return this.keyIdOf(stored) === this.current.id;
  }
}
