import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import type { Server } from 'node:http';
import { configureCursorSigning } from './common/cursor';
import { verifyBodyShape, warmUpBodyShapeScanner } from './common/body-shape.guard';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { MetricsService } from './metrics/metrics.service';
import { createOpenApiDocument } from './openapi/openapi-document';

/** HTTP concerns shared by main.ts and the end-to-end tests, so both serve the same app. */
export function setupApp(app: NestExpressApplication): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  configureCursorSigning(config);
  app.useLogger(app.get(Logger));
  app.use(httpMetricsMiddleware(app.get(MetricsService)));
  // Swagger UI is also opened over plain http inside a cluster (port-forward, a Service name):
  // upgrading its requests to https would break it there. TLS, where used, ends at the ingress.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  // a full 1,000-song bulk upsert fits in 1 MB; larger bodies get 413
  // verifyBodyShape runs on the raw bytes before JSON.parse: a hostile shape costs one linear
  // scan and a 400, never the parser's or the ValidationPipe's time
  app.useBodyParser('json', { limit: '1mb', verify: verifyBodyShape });
  warmUpOnce();
  app.useBodyParser('urlencoded', { limit: '1mb', extended: false });
  app.set('query parser', 'simple');
  applyServerLimits(app.getHttpServer() as Server, config.http);

  if (!config.docsEnabled) return;

  const document = createOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    // the key stays in the page's memory only, never in the browser's localStorage
    swaggerOptions: { persistAuthorization: false },
  });
}

/**
 * Slow clients: a request must send its headers within headersTimeout and finish within
 * requestTimeout (Node's default is 300 s); idle keep-alive sockets close after keepAliveTimeout
 * (above a load balancer's usual 60 s idle timeout, so it closes first); maxConnections caps
 * sockets so slow clients cannot take every file descriptor. Probes open a fresh connection
 * every few seconds and answer in milliseconds, well inside all of these.
 */
export function applyServerLimits(server: Server, limits: AppConfig['http']): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  // Node enforces both timeouts on a sweep (default every 30 s) set up when the server starts listening
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = 1_000;
}

let warmedUp = false;
function warmUpOnce(): void {
  if (warmedUp) return;
  warmedUp = true;
  warmUpBodyShapeScanner();
}
