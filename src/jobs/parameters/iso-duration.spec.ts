import { parseIsoDuration } from './iso-duration';

describe('parseIsoDuration', () => {
  it.each([
    ['P7D', 7 * 86_400_000],
    ['PT24H', 86_400_000],
    ['PT90M', 5_400_000],
    ['P1W', 7 * 86_400_000],
    ['P1DT12H', 36 * 3_600_000],
    ['PT0.5S', 500],
  ])('%s is %d ms', (text, ms) => expect(parseIsoDuration(text)).toBe(ms));

  it.each(['', 'P', 'PT', '7D', 'P-1D', 'PT0S', 'P1H', 'banana'])('refuses %j', (text) =>
    expect(parseIsoDuration(text)).toBeNull(),
  );
});
