import { SandboxAlbum, SandboxArtist, SandboxTrack } from './catalogue';
import { DirtyConfig, Tier } from './config';
import { hashSeed } from './random';
import { displayName } from './users';

// Spotify JSON for sandbox objects. The development tier drops what Spotify's Feb-2026 changes
// removed for development-mode apps (popularity, previews, /me email/country/product).

export function renderTrack(track: SandboxTrack, tier: Tier, api: string, dirty: DirtyConfig | null = null): Record<string, unknown> {
  const rendered: Record<string, unknown> = {
    album: renderAlbum(track.album, tier, api),
    artists: track.artists.map((artist) => renderArtist(artist, api)),
    disc_number: 1,
    duration_ms: track.duration_ms,
    explicit: track.explicit,
    external_ids: dirty?.messyIsrcs ? messyExternalIds(track) : { ...track.external_ids },
    external_urls: { ...track.external_urls },
    href: `${api}/tracks/${track.id}`,
    id: track.id,
    is_local: false,
    name: track.name,
    popularity: track.popularity,
    preview_url: tier === 'extended' ? track.preview_url : null,
    track_number: track.track_number,
    type: 'track',
    uri: `spotify:track:${track.id}`,
  };
  if (tier === 'extended') rendered.available_markets = MARKETS;
  // Absent, not null: that is how a development-mode app sees it.
  if (tier === 'development') delete rendered.popularity;
  return rendered;
}

/** Dirty mode: ISRCs as some labels deliver them. Which form a track gets follows from its id. */
export function messyExternalIds(track: SandboxTrack): Record<string, unknown> {
  const isrc = track.external_ids.isrc;
  switch (hashSeed(track.id) % 10) {
    case 0: // US-UM7-10-12345
      return { isrc: `${isrc.slice(0, 2)}-${isrc.slice(2, 5)}-${isrc.slice(5, 7)}-${isrc.slice(7)}` };
    case 1:
      return { isrc: isrc.toLowerCase() };
    case 2:
      return { isrc: ` ${isrc.slice(0, 5)} ${isrc.slice(5)} ` };
    case 3:
      return { isrc: 'N/A' };
    default:
      return { isrc };
  }
}

/** Markets of every sandbox track and album (extended tier; Spotify removed the field for development-mode apps). */
const MARKETS = ['GB', 'SE', 'US'];

function renderAlbum(album: SandboxAlbum, tier: Tier, api: string): Record<string, unknown> {
  return {
    album_type: album.album_type,
    ...(tier === 'extended' ? { available_markets: MARKETS } : {}),
    artists: album.artists.map((artist) => renderArtist(artist, api)),
    external_urls: { spotify: `https://open.spotify.com/album/${album.id}` },
    href: `${api}/albums/${album.id}`,
    id: album.id,
    images: [],
    name: album.name,
    release_date: album.release_date,
    release_date_precision: 'day',
    total_tracks: album.total_tracks,
    type: 'album',
    uri: `spotify:album:${album.id}`,
  };
}

function renderArtist(artist: SandboxArtist, api: string): Record<string, unknown> {
  return {
    external_urls: { spotify: `https://open.spotify.com/artist/${artist.id}` },
    href: `${api}/artists/${artist.id}`,
    id: artist.id,
    name: artist.name,
    type: 'artist',
    uri: `spotify:artist:${artist.id}`,
  };
}

export function renderAudioFeatures(track: SandboxTrack, api: string): Record<string, unknown> {
  return {
    ...track.audio_features,
    analysis_url: `${api}/audio-analysis/${track.id}`,
    duration_ms: track.duration_ms,
    id: track.id,
    track_href: `${api}/tracks/${track.id}`,
    type: 'audio_features',
    uri: `spotify:track:${track.id}`,
  };
}

/** GET /v1/me. Extended tier: email with `user-read-email`, country and product with `user-read-private`. */
export function renderUser(userId: string, scopes: string[], tier: Tier, api: string): Record<string, unknown> {
  const user: Record<string, unknown> = {
    display_name: displayName(userId),
    external_urls: { spotify: `https://open.spotify.com/user/${userId}` },
    href: `${api}/users/${userId}`,
    id: userId,
    images: [],
    type: 'user',
    uri: `spotify:user:${userId}`,
  };
  if (tier === 'development') return user;
  user.followers = { href: null, total: 0 };
  if (scopes.includes('user-read-email')) user.email = `${userId}@sandbox.invalid`;
  if (scopes.includes('user-read-private')) {
    user.country = 'SE';
    user.product = 'premium';
    user.explicit_content = { filter_enabled: false, filter_locked: false };
  }
  return user;
}
