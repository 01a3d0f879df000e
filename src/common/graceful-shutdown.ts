import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';

/**
 * The shutdown budget after SIGTERM. Kubernetes sends SIGTERM after the preStop sleep and
 * SIGKILLs at terminationGracePeriodSeconds, so deploy/k8s sets that to preStop + this + a margin
 * (test/deploy-manifests.e2e-spec.ts checks it).
 *
 * Worker hook: the jobs module returns or finishes its current job in its own
 * beforeApplicationShutdown(), which runs before onApplicationShutdown closes Redis and
 * PostgreSQL; it must fit in this budget too.
 */
export const SHUTDOWN_TIMEOUT_MS = 20_000;
/** In-flight HTTP requests get this long; the rest of the budget is for closing Bull, Redis and PostgreSQL. */
export const HTTP_DRAIN_TIMEOUT_MS = 15_000;

/**
 * Stops accepting connections and waits for in-flight requests, then lets the other
 * shutdown hooks close the database and Redis. Runs in beforeApplicationShutdown because
 * Nest closes the HTTP server only after every such hook (a worker's hook may wait for its job).
 */
@Injectable()
export class HttpDrain implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server?.listening) return;
    this.logger.log(`${signal ?? 'Shutdown'}: no longer accepting connections, finishing in-flight requests`);
    const result = await drainHttpServer(server, HTTP_DRAIN_TIMEOUT_MS);
    if (result === 'timed-out') {
      this.logger.warn(`Requests still running after ${HTTP_DRAIN_TIMEOUT_MS} ms were cut off`);
    }
  }
}

/**
 * server.close() stops accepting and drops idle keep-alive connections once, but a connection
 * whose request finishes afterwards would stay open for keepAliveTimeout and hold the close up:
 * sweep idle ones until every connection is gone, and cut the rest at the deadline.
 */
export function drainHttpServer(server: Server, timeoutMs: number): Promise<'drained' | 'timed-out'> {
  return new Promise((resolve) => {
    let result: 'drained' | 'timed-out' = 'drained';
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => {
      result = 'timed-out';
      server.closeAllConnections();
    }, timeoutMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve(result);
    });
  });
}

/** If a shutdown hook hangs, exit with a line saying so instead of waiting for SIGKILL. */
export function exitIfShutdownStalls(signals: NodeJS.Signals[], timeoutMs = SHUTDOWN_TIMEOUT_MS): void {
  for (const signal of signals) {
    process.once(signal, () => {
      setTimeout(() => {
        process.stderr.write(`Shutdown did not finish within ${timeoutMs} ms of ${signal}; exiting\n`);
        process.exit(1);
      }, timeoutMs).unref();
    });
  }
}
