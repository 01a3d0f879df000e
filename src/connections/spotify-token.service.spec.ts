import { SpotifyAccountsClient } from '../spotify/spotify-accounts.client';
import { SpotifyAuthRevokedError, SpotifyTransientError } from '../spotify/spotify.errors';
import { SpotifyReauthRequiredError } from './spotify-connection.errors';
import { ConnectionWithTokens, LockedConnection, SpotifyConnectionStore } from './spotify-connection.store';
import { SpotifyTokenService } from './spotify-token.service';

/** An in-memory row with a lock that serialises like the database's. */
function fakeStore(row: ConnectionWithTokens) {
  let queue = Promise.resolve();
  const store = {
    row,
    findWithTokens: async () => ({ ...store.row }),
    withLock: <T>(_userId: string, work: (locked: LockedConnection) => Promise<T>): Promise<T> => {
      const run = queue.then(() =>
        work({
          ...store.row,
          saveRefreshed: (t) => {
            store.row = { ...store.row, accessToken: t.accessToken, tokenExpiresAt: t.expiresAt, refreshToken: t.refreshToken ?? store.row.refreshToken };
          },
          markNeedsReauth: (reason) => {
            store.row = { ...store.row, status: 'needs_reauth', statusReason: reason, accessToken: '', refreshToken: '' };
          },
        }),
      );
      queue = run.then(() => undefined, () => undefined);
      return run;
    },
  };
  return store;
}

const expired = (): ConnectionWithTokens => ({
  spotifyUserId: 'sb',
  scope: 'user-library-read',
  tokenExpiresAt: new Date(Date.now() - 1000),
  status: 'active',
  statusReason: null,
  authorizedAt: new Date(),
  accessToken: 'old-access',
  refreshToken: 'old-refresh',
});

describe('SpotifyTokenService', () => {
  it('refreshes once for concurrent callers and keeps the refresh token when none comes back', async () => {
    const store = fakeStore(expired());
    const refreshUserToken = jest.fn(async () => ({ accessToken: 'new-access', expiresAt: new Date(Date.now() + 3600_000), scope: 's' }));
    const service = new SpotifyTokenService(store as unknown as SpotifyConnectionStore, { refreshUserToken } as unknown as SpotifyAccountsClient);
    const tokens = await Promise.all(Array.from({ length: 10 }, () => service.getUserAccessToken('u')));
    expect(new Set(tokens)).toEqual(new Set(['new-access']));
    expect(refreshUserToken).toHaveBeenCalledTimes(1);
    expect(store.row.refreshToken).toBe('old-refresh');
  });

  it('leaves the connection alone on a transient failure, so the next call tries again', async () => {
    const store = fakeStore(expired());
    const refreshUserToken = jest
      .fn()
      .mockRejectedValueOnce(new SpotifyTransientError('down', 503))
      .mockResolvedValueOnce({ accessToken: 'new-access', refreshToken: 'rotated', expiresAt: new Date(Date.now() + 3600_000), scope: 's' });
    const service = new SpotifyTokenService(store as unknown as SpotifyConnectionStore, { refreshUserToken } as unknown as SpotifyAccountsClient);
    await expect(service.getUserAccessToken('u')).rejects.toBeInstanceOf(SpotifyTransientError);
    expect(store.row.status).toBe('active');
    expect(await service.getUserAccessToken('u')).toBe('new-access');
    expect(store.row.refreshToken).toBe('rotated');
  });

  it('marks needs_reauth on invalid_grant and never calls Spotify again', async () => {
    const store = fakeStore(expired());
    const refreshUserToken = jest.fn().mockRejectedValue(new SpotifyAuthRevokedError('Spotify refused the refresh token: Refresh token revoked', 400));
    const service = new SpotifyTokenService(store as unknown as SpotifyConnectionStore, { refreshUserToken } as unknown as SpotifyAccountsClient);
    await expect(service.getUserAccessToken('u')).rejects.toBeInstanceOf(SpotifyReauthRequiredError);
    await expect(service.getUserAccessToken('u')).rejects.toThrow(/revoked/);
    expect(store.row).toMatchObject({ status: 'needs_reauth', accessToken: '', refreshToken: '' });
    expect(refreshUserToken).toHaveBeenCalledTimes(1);
  });
});
