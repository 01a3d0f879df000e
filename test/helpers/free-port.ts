import { createServer } from 'node:net';

/**
 * A port nothing listens on right now on 127.0.0.1: `preferred` when it is free, else one the
 * OS picks (0, the default, always lets the OS pick).
 */
export function freePort(preferred = 0): Promise<number> {
  const probe = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const { port: bound } = server.address() as { port: number };
        server.close(() => resolve(bound));
      });
    });
  return preferred ? probe(preferred).catch(() => probe(0)) : probe(0);
}
