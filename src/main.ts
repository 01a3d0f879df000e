import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { loadConfigOrExit } from './config/load-config';
import { setupApp } from './setup-app';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  setupApp(app);
  app.enableShutdownHooks();
  await app.listen(config.port);
}

void bootstrap();
