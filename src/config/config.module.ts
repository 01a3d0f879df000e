import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { appConfig } from './app-config';

@Global()
@Module({
  imports: [
    // .env is for local runs only; in a container the environment is the only source.
    ConfigModule.forRoot({ isGlobal: true, cache: true, load: [appConfig], envFilePath: '.env' }),
  ],
  exports: [ConfigModule],
})
export class AppConfigModule {}
