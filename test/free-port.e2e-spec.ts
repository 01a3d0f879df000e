import { createServer, type Server } from 'node:net';
import { freePort } from './helpers/free-port';

describe('freePort', () => {
  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer().once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(server));
    });

  it('gives a port that can be listened on', async () => {
    const server = await listen(await freePort());
    server.close();
  });

  it('gives the preferred port when it is free, another one when it is taken', async () => {
    const preferred = await freePort();
    expect(await freePort(preferred)).toBe(preferred);
    const taken = await listen(preferred);
    try {
      const other = await freePort(preferred);
      expect(other).not.toBe(preferred);
      (await listen(other)).close();
    } finally {
      taken.close();
    }
  });
});
