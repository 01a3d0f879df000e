import type { Params } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { AppConfig } from './app-config';

/** Paths pino blanks out wherever they appear, so a token can never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.clientSecret',
  '*.code_verifier',
  'req.query.code',
];

/** pino-pretty is a devDependency: an image without it logs JSON even when LOG_FORMAT=pretty. */
export function prettyTransport(format: string, resolve: (id: string) => string = require.resolve) {
  if (format !== 'pretty') return {};
  try {
    resolve('pino-pretty');
  } catch {
    process.stderr.write('LOG_FORMAT=pretty needs pino-pretty (a devDependency), which is not installed: logging JSON\n');
    return {};
  }
  return {
    transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
  };
}

export function createLoggerOptions(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      ...prettyTransport(config.logFormat),
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      // the OAuth callback carries the code and state in its query string
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url.split('?')[0],
        }),
      },
      autoLogging: { ignore: (req) => /^\/(health|metrics)\b/.test(req.url ?? '') },
    },
  };
}
