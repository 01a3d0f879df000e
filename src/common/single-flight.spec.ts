import { SingleFlight } from './single-flight';

describe('SingleFlight', () => {
  it('shares one run among concurrent callers of a key, and starts a new one after it settles', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    const work = () => new Promise<number>((resolve) => setTimeout(() => resolve(++runs), 10));
    const [a, b, other] = await Promise.all([flights.run('k', work), flights.run('k', work), flights.run('other', work)]);
    expect([a, b]).toEqual([1, 1]);
    expect(other).toBe(2);
    expect(await flights.run('k', work)).toBe(3);
  });

  it('lets a failed run be tried again', async () => {
    const flights = new SingleFlight<string>();
    await expect(flights.run('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await expect(flights.run('k', async () => 'up')).resolves.toBe('up');
  });
});
