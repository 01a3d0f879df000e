/**
 * The server side of bench/hostile-bodies.bench.ts, in its own process so that the client's work
 * never shows in the event-loop delay: the app as main.ts builds it, plus a
 * perf_hooks.monitorEventLoopDelay histogram the parent resets and reads over IPC.
 */
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AppModule } from '../src/app.module';
import { parseEnv } from '../src/config/app-config';
import { setupApp } from '../src/setup-app';

async function main(): Promise<void> {
  const config = parseEnv(process.env);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { logger: false, bodyParser: false });
  setupApp(app);
  await app.listen(0, '127.0.0.1');
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  process.on('message', (message: { type: string }) => {
    if (message.type === 'reset') {
      histogram.reset();
      process.send!({ type: 'reset' });
    } else if (message.type === 'read') {
      process.send!({ type: 'read', maxMs: histogram.max / 1e6 });
    } else if (message.type === 'stop') {
      void app.close().then(() => process.exit(0));
    }
  });
  process.send!({ type: 'ready', port: (app.getHttpServer().address() as AddressInfo).port });
}

void main();
