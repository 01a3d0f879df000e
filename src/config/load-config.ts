import { existsSync } from 'node:fs';
import { AppConfig, ConfigError, parseEnv } from './app-config';

/**
 * Reads `.env` (local runs only; real environment variables win) and validates.
 * A bad or missing variable ends the process with one line that names it.
 */
export function loadConfigOrExit(envFile = '.env'): AppConfig {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  try {
    return parseEnv(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
