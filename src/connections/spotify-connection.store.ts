import { ForeignKeyConstraintViolationException, LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, NotFoundException, Optional } from '@nestjs/common';
import { TokenBinding, TokenCipher } from '../crypto/token-cipher.service';
import { WebhookEvents } from '../webhooks/webhook-events.service';
import { SpotifyConnectionResponse } from './spotify-connection.dto';
import type { SpotifyRefreshedToken, SpotifyTokenSet } from '../spotify/spotify.types';
import { SpotifyConnection, SpotifyConnectionStatus } from './spotify-connection.entity';
import { SpotifyAccountLinkedElsewhereError } from './spotify-connection.errors';

/** A connection as the rest of the service may see it: no tokens. */
export interface ConnectionSummary {
  spotifyUserId: string;
  scope: string;
  tokenExpiresAt: Date;
  status: SpotifyConnectionStatus;
  statusReason: string | null;
  authorizedAt: Date;
}

export interface ConnectionWithTokens extends ConnectionSummary {
  accessToken: string;
  refreshToken: string;
}

/** The row while its lock is held; changes are committed when the callback returns. */
export interface LockedConnection extends ConnectionWithTokens {
  saveRefreshed(token: SpotifyRefreshedToken): void;
  markNeedsReauth(reason: string): void;
}

export interface ReencryptReport {
  scanned: number;
  reencrypted: number;
  /** Values written before encryption existed; encrypted now. */
  encryptedPlaintext: number;
  failed: { connectionId: string; reason: string }[];
}

const TOKEN_FIELDS = ['accessToken', 'refreshToken'] as const;
/** Lets a waiting refresh give up instead of hanging when another holder is stuck. */
const LOCK_TIMEOUT_MS = 30_000;

/**
 * The only reader and writer of the token columns: tokens go in and come out as plaintext,
 * the database only ever holds TokenCipher output. Every call works on its own fork so that a
 * caller's identity map never serves a stale token.
 */
@Injectable()
export class SpotifyConnectionStore {
  constructor(
    private readonly em: EntityManager,
    private readonly cipher: TokenCipher,
    // absent only in the tokens:reencrypt command, which changes no connection's state
    @Optional() private readonly events?: WebhookEvents,
  ) {}

  async findSummary(userId: string): Promise<ConnectionSummary | null> {
    const row = await this.em.fork().findOne(SpotifyConnection, { user: userId });
    return row ? summary(row) : null;
  }

  async findWithTokens(userId: string): Promise<ConnectionWithTokens | null> {
    const row = await this.em.fork().findOne(SpotifyConnection, { user: userId }, { populate: TOKEN_FIELDS });
    return row ? this.withTokens(row) : null;
  }

  /**
   * Stores a fresh consent, replacing whatever the user had (tokens, status, consent time).
   * A Spotify account already linked to another user is refused, also under a race (unique key).
   */
  async save(userId: string, spotifyUserId: string, tokens: SpotifyTokenSet, authorizedAt: Date): Promise<ConnectionSummary> {
    const em = this.em.fork();
    const linkedElsewhere = await em.count(SpotifyConnection, { spotifyUserId, user: { $ne: userId } });
    if (linkedElsewhere) throw new SpotifyAccountLinkedElsewhereError();
    try {
      return await em.transactional(async (tx) => {
        const row = await tx.upsert(
          SpotifyConnection,
          {
            user: userId,
            spotifyUserId,
            accessToken: this.cipher.encrypt(tokens.accessToken, bindingOf(userId, 'accessToken')),
            refreshToken: this.cipher.encrypt(tokens.refreshToken, bindingOf(userId, 'refreshToken')),
            tokenExpiresAt: tokens.expiresAt,
            scope: tokens.scope,
            status: 'active',
            statusReason: null,
            authorizedAt,
            updatedAt: new Date(),
          },
          { onConflictFields: ['user'], onConflictAction: 'merge', onConflictExcludeFields: ['id', 'createdAt'] },
        );
        await this.events?.record(tx, 'spotify_connection.connected', connectionEvent(userId, summary(row)));
        return summary(row);
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw new SpotifyAccountLinkedElsewhereError();
      if (error instanceof ForeignKeyConstraintViolationException) throw new NotFoundException(`User ${userId} not found`);
      throw error;
    }
  }

  async delete(userId: string): Promise<boolean> {
    return (await this.em.fork().nativeDelete(SpotifyConnection, { user: userId })) > 0;
  }

  /**
   * Runs `work` holding the row lock (SELECT … FOR UPDATE), so a refresh in any process waits
   * for another one in flight and then sees its result. Changes made through the locked row are
   * committed before this returns: a rotated refresh token is stored before anyone uses the new access token.
   */
  async withLock<T>(userId: string, work: (row: LockedConnection | null) => Promise<T>): Promise<T> {
    return this.em.fork().transactional(async (tx) => {
      await tx.execute(`SET LOCAL lock_timeout = ${LOCK_TIMEOUT_MS}`);
      const row = await tx.findOne(
        SpotifyConnection,
        { user: userId },
        { populate: TOKEN_FIELDS, lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      if (!row) return work(null);
      let needsReauth = false;
      const locked: LockedConnection = {
        ...this.withTokens(row),
        saveRefreshed: (token) => {
          row.accessToken = this.cipher.encrypt(token.accessToken, bindingOf(userId, 'accessToken'));
          // Spotify only sometimes sends a new refresh token; without one the old one stays valid.
          if (token.refreshToken) row.refreshToken = this.cipher.encrypt(token.refreshToken, bindingOf(userId, 'refreshToken'));
          row.tokenExpiresAt = token.expiresAt;
          if (token.scope) row.scope = token.scope;
        },
        markNeedsReauth: (reason) => {
          row.status = 'needs_reauth';
          row.statusReason = reason;
          // the dead tokens are of no use to anyone: keep the row for its status, not them
          row.accessToken = this.cipher.encrypt('', bindingOf(userId, 'accessToken'));
          row.refreshToken = this.cipher.encrypt('', bindingOf(userId, 'refreshToken'));
          row.tokenExpiresAt = new Date();
          needsReauth = true;
        },
      };
      const result = await work(locked);
      // announced in the same transaction as the status change, once per change
      if (needsReauth) await this.events?.record(tx, 'spotify_connection.needs_reauth', connectionEvent(userId, summary(row)));
      return result;
    });
  }

  /**
   * Re-encrypts every stored token under the newest key, a batch at a time (each batch locked
   * and committed on its own). Values already under the newest key are left alone, so a second run
   * changes nothing and an interrupted run can simply be started again.
   */
  async reencryptAll(batchSize = 200): Promise<ReencryptReport> {
    const report: ReencryptReport = { scanned: 0, reencrypted: 0, encryptedPlaintext: 0, failed: [] };
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const batch = await this.em.fork().transactional(async (tx) => {
        const rows = await tx.find(
          SpotifyConnection,
          { id: { $gt: after } },
          { populate: TOKEN_FIELDS, orderBy: { id: 'asc' }, limit: batchSize, lockMode: LockMode.PESSIMISTIC_WRITE },
        );
        for (const row of rows) this.reencryptRow(row, report);
        return rows;
      });
      report.scanned += batch.length;
      if (batch.length < batchSize) return report;
      after = batch[batch.length - 1].id;
    }
  }

  private reencryptRow(row: SpotifyConnection, report: ReencryptReport): void {
    if (TOKEN_FIELDS.every((field) => this.cipher.isCurrent(row[field]))) return;
    try {
      let plaintext = false;
      const next = TOKEN_FIELDS.map((field) => {
        const stored = row[field];
        if (this.cipher.isCurrent(stored)) return stored;
        const binding = bindingOf(row.user.id, field);
        if (this.cipher.keyIdOf(stored) === null) {
          plaintext = true;
          return this.cipher.encrypt(stored, binding);
        }
        // v1 values (or values under an older key) come out bound to this row and column
        return this.cipher.encrypt(this.cipher.decrypt(stored, binding), binding);
      });
      [row.accessToken, row.refreshToken] = next;
      if (plaintext) report.encryptedPlaintext += 1;
      else report.reencrypted += 1;
    } catch (error) {
      report.failed.push({ connectionId: row.id, reason: (error as Error).message });
    }
  }

  private withTokens(row: SpotifyConnection): ConnectionWithTokens {
    return {
      ...summary(row),
      accessToken: this.cipher.decrypt(row.accessToken, bindingOf(row.user.id, 'accessToken')),
      refreshToken: this.cipher.decrypt(row.refreshToken, bindingOf(row.user.id, 'refreshToken')),
    };
  }
}

const COLUMNS = { accessToken: 'access_token', refreshToken: 'refresh_token' } as const;

/** Each token is bound to the table, its column and the owning user's id. */
export function bindingOf(userId: string, field: (typeof TOKEN_FIELDS)[number]): TokenBinding {
  return { table: 'spotify_connections', column: COLUMNS[field], rowKey: userId };
}

function summary(row: SpotifyConnection): ConnectionSummary {
  return {
    spotifyUserId: row.spotifyUserId,
    scope: row.scope,
    tokenExpiresAt: row.tokenExpiresAt,
    status: row.status,
    statusReason: row.statusReason ?? null,
    authorizedAt: row.authorizedAt,
  };
}

/** A connection event's data: the connection as GET /v1/users/:id/spotify shows it, with its user. */
function connectionEvent(userId: string, connection: ConnectionSummary): object {
  return { userId, ...SpotifyConnectionResponse.from(connection) };
}
