import { reauthorizeBy, SpotifyConnectionResponse } from './spotify-connection.dto';

describe('reauthorizeBy (consent + 6 months)', () => {
  it.each([
    ['2026-01-15T10:20:30.000Z', '2026-07-15T10:20:30.000Z'],
    ['2026-08-31T23:00:00.000Z', '2027-02-28T23:00:00.000Z'],
    ['2027-08-31T00:00:00.000Z', '2028-02-29T00:00:00.000Z'],
    ['2026-12-31T12:00:00.000Z', '2027-06-30T12:00:00.000Z'],
  ])('%s → %s', (consent, expected) => {
    expect(reauthorizeBy(new Date(consent)).toISOString()).toBe(expected);
  });
});

describe('SpotifyConnectionResponse', () => {
  const base = {
    spotifyUserId: 'sb-1',
    scope: 'user-library-read',
    tokenExpiresAt: new Date('2026-11-27T12:00:00Z'),
    statusReason: null,
    authorizedAt: new Date('2026-11-27T11:00:00Z'),
  };

  it('is { connected: false } without a connection', () => {
    expect(SpotifyConnectionResponse.from(null)).toEqual({ connected: false });
  });

  it('shows no token expiry once the tokens were discarded', () => {
    expect(SpotifyConnectionResponse.from({ ...base, status: 'active' }).tokenExpiresAt).toBe('2026-11-27T12:00:00.000Z');
    expect(
      SpotifyConnectionResponse.from({ ...base, status: 'needs_reauth', statusReason: 'revoked' }),
    ).toMatchObject({ connected: true, status: 'needs_reauth', statusReason: 'revoked', tokenExpiresAt: null });
  });
});
