import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { MetricsService } from './metrics.service';

/**
 * Times every request, labelled with the route template Express matched ("unmatched" for
 * 404s and body-parser errors). Mounted with app.use() in setupApp rather than through
 * Nest's MiddlewareConsumer, which runs only for routes Nest knows and so misses 404s.
 */
export function httpMetricsMiddleware(metrics: MetricsService): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      // Nest mounts module middleware (nestjs-pino's) as an Express route on a wildcard, which
      // leaves req.route set on requests no controller matched; the app's own routes have no wildcard.
      const path: unknown = req.route?.path;
      const route = typeof path === 'string' && !path.includes('*') ? `${req.baseUrl}${path}` : 'unmatched';
      metrics.observeHttpRequest(req.method, route, res.statusCode, seconds);
    });
    next();
  };
}
