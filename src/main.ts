import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { exitIfShutdownStalls } from './common/graceful-shutdown';
import { loadConfigOrExit } from './config/load-config';
import { setupApp } from './setup-app';

const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  setupApp(app);
  // process.exit(0) once every hook has run (Nest would otherwise re-raise the signal: exit 143)
  app.enableShutdownHooks(SHUTDOWN_SIGNALS, { useProcessExit: true });
  exitIfShutdownStalls(SHUTDOWN_SIGNALS);
  await app.listen(config.port);
}

void bootstrap();
