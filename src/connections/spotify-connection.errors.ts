/** No connection row: the user never connected, or disconnected. */
export class SpotifyNotConnectedError extends Error {
  constructor(readonly userId: string) {
    super(`User ${userId} has no Spotify connection`);
    this.name = 'SpotifyNotConnectedError';
  }
}

/**
 * The refresh token was refused (revoked, or past Spotify's 6-month limit): the connection is
 * marked needs_reauth and only a new consent helps. Never retry.
 */
export class SpotifyReauthRequiredError extends Error {
  constructor(
    readonly userId: string,
    readonly reason: string,
  ) {
    super(`User ${userId} must reconnect Spotify: ${reason}`);
    this.name = 'SpotifyReauthRequiredError';
  }
}

/** The Spotify account is already connected to another user (also under a race: unique key). */
export class SpotifyAccountLinkedElsewhereError extends Error {
  constructor() {
    super('This Spotify account is already connected to another user');
    this.name = 'SpotifyAccountLinkedElsewhereError';
  }
}
