import { Agent, createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drainHttpServer } from './graceful-shutdown';

function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

function fetchVia(agent: Agent, port: number, path: string): Promise<{ status?: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent }, (res: IncomingMessage) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('drainHttpServer', () => {
  it('lets an in-flight request on a keep-alive connection finish, then closes without waiting for keepAliveTimeout', async () => {
    const { server, port } = await listen((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('slow'), 300);
      else res.end('fast');
    });
    server.keepAliveTimeout = 10_000;
    const agent = new Agent({ keepAlive: true });
    await fetchVia(agent, port, '/fast'); // leaves an idle keep-alive connection
    const slow = fetchVia(agent, port, '/slow');
    await new Promise((r) => setTimeout(r, 50));

    const started = Date.now();
    const drained = drainHttpServer(server, 5_000);
    await expect(fetchVia(new Agent(), port, '/fast')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(slow).resolves.toEqual({ status: 200, body: 'slow' });
    await expect(drained).resolves.toBe('drained');
    expect(Date.now() - started).toBeLessThan(1_500);
    agent.destroy();
  });

  it('cuts requests still running at the deadline', async () => {
    const { server, port } = await listen(() => undefined); // never answers
    const hanging = fetchVia(new Agent(), port, '/hang');
    await new Promise((r) => setTimeout(r, 50));
    await expect(drainHttpServer(server, 200)).resolves.toBe('timed-out');
    await expect(hanging).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});
