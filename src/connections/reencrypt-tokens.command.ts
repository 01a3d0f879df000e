import { MikroORM } from '@mikro-orm/postgresql';
import { AppConfig } from '../config/app-config';
import { loadConfigOrExit } from '../config/load-config';
import { createOrmConfig } from '../config/mikro-orm.config';
import { TokenCipher } from '../crypto/token-cipher.service';
import { ReencryptReport, SpotifyConnectionStore } from './spotify-connection.store';

/**
 * `npm run tokens:reencrypt` (after `npm run build`): re-encrypts every stored Spotify token under the
 * first key of TOKEN_ENCRYPTION_KEYS. Rotation: put the new key first, keep the old ones, deploy, run
 * this, then drop the old keys. Safe to run again at any time, and while the service is running.
 */
export async function reencryptTokens(config: AppConfig, batchSize = 200): Promise<ReencryptReport> {
  const orm = await MikroORM.init(createOrmConfig(config.databaseUrl));
  try {
    return await new SpotifyConnectionStore(orm.em, new TokenCipher(config)).reencryptAll(batchSize);
  } finally {
    await orm.close(true);
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const arg = process.argv.find((a) => a.startsWith('--batch-size='));
  const batchSize = arg ? Number(arg.split('=')[1]) : 200;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    process.stderr.write('--batch-size must be a positive integer\n');
    process.exit(2);
  }
  const report = await reencryptTokens(config, batchSize);
  process.stdout.write(`${JSON.stringify({ currentKeyId: config.encryptionKeys[0].id, ...report })}\n`);
  if (report.failed.length > 0) {
    process.stderr.write(`${report.failed.length} connection(s) could not be re-encrypted; see "failed"\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`tokens:reencrypt failed: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
