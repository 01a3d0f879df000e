import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { MetricsService } from './metrics/metrics.service';
import { createOpenApiDocument } from './openapi/openapi-document';

/** HTTP concerns shared by main.ts and the end-to-end tests, so both serve the same app. */
export function setupApp(app: NestExpressApplication): void {
  app.useLogger(app.get(Logger));
  app.use(httpMetricsMiddleware(app.get(MetricsService)));
  // Swagger UI is also opened over plain http inside a cluster (port-forward, a Service name):
  // upgrading its requests to https would break it there. TLS, where used, ends at the ingress.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  // a full 1,000-song bulk upsert fits in 1 MB; larger bodies get 413
  app.useBodyParser('json', { limit: '1mb' });
  app.useBodyParser('urlencoded', { limit: '1mb', extended: false });
  app.set('query parser', 'simple');

  const document = createOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
