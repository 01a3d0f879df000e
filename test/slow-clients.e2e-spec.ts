import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { API_KEY, createTestApp, TestApp } from './helpers/test-app';

/** Issue 11, finding 12: no client, with or without a key, holds a connection open at its own pace. */
describe('slow clients', () => {
  let t: TestApp;
  let port: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    t = await createTestApp('slow_clients', {
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_REQUEST_TIMEOUT_MS: '2000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
      HTTP_MAX_CONNECTIONS: '10',
    });
    const server: http.Server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.destroy();
  });
  afterAll(async () => {
    await t.close();
  });

  /** Opens a socket, runs `drip` on it, resolves with how long the server kept it and what it said. */
  function held(drip: (socket: Socket) => void): Promise<{ ms: number; answer: string }> {
    return new Promise((resolve) => {
      const started = performance.now();
      const socket = connect(port, '127.0.0.1', () => drip(socket));
      sockets.push(socket);
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve({ ms: performance.now() - started, answer }));
    });
  }

  it('cuts off a body sent a byte every half second, well before Node’s default 300 s', async () => {
    const { ms, answer } = await held((socket) => {
      socket.write(
        `POST /v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${API_KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
      );
      const timer = setInterval(() => (socket.writable ? socket.write(' ') : clearInterval(timer)), 500);
      socket.on('close', () => clearInterval(timer));
    });
    expect(ms).toBeGreaterThanOrEqual(1_900);
    expect(ms).toBeLessThan(5_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('cuts off headers that never finish (no key needed to try)', async () => {
    const { ms } = await held((socket) => {
      socket.write('GET /v1/songs HTTP/1.1\r\nHost: x\r\n');
      const timer = setInterval(() => (socket.writable ? socket.write('X-Slow: 1\r\n') : clearInterval(timer)), 300);
      socket.on('close', () => clearInterval(timer));
    });
    expect(ms).toBeLessThan(4_000);
  });

  it('closes idle keep-alive connections after keepAliveTimeout', async () => {
    const { ms, answer } = await held((socket) => socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(ms).toBeLessThan(3_000);
  });

  it('refuses connections over HTTP_MAX_CONNECTIONS, and serves again once they go', async () => {
    const idle = await Promise.all(
      Array.from({ length: 10 }, () => new Promise<Socket>((resolve) => {
        const s = connect(port, '127.0.0.1', () => resolve(s));
        s.on('error', () => undefined);
        sockets.push(s);
      })),
    );
    const over = await held((socket) => socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(over.answer).toBe('');
    for (const s of idle) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    await t.http().get('/health/live').expect(200);
  });
});
