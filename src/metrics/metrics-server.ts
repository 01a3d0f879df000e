import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsService } from './metrics.service';

/**
 * `/metrics` on its own listener (METRICS_PORT), so the port that carries the internet-facing
 * OAuth callback never exposes it. A bare node:http server: no Nest, no guards, nothing else served.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MetricsServer');
  readonly server: Server;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'metricsPort'>,
  ) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method !== 'GET' || path !== '/metrics') {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end(
          JSON.stringify({ statusCode: 404, error: 'Not Found', message: 'Only GET /metrics is served here' }),
        );
        return;
      }
      this.metrics.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': this.metrics.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    });
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 10_000;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  onApplicationBootstrap(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.config.metricsPort, () => {
        this.server.off('error', reject);
        this.logger.log(`Metrics on port ${this.port}`);
        resolve();
      });
    });
  }

  onApplicationShutdown(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
