/** The five base features keep Spotify's 3 decimals; the seed gives speechiness/liveness only 2. */
export const BASE_FEATURES = ['energy', 'danceability', 'valence', 'acousticness', 'instrumentalness'] as const;
export const AUDIO_FEATURES = [...BASE_FEATURES, 'speechiness', 'liveness', 'loudness'] as const;
export type AudioFeature = (typeof AUDIO_FEATURES)[number];

/** Rounds to the decimals the schema keeps: 3 for the five base features, 2 for the rest. */
export function roundFeature(name: AudioFeature, value: number): number {
  const scale = 10 ** ((BASE_FEATURES as readonly string[]).includes(name) ? 3 : 2);
  return Math.round(value * scale) / scale;
}
