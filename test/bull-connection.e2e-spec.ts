import Bull from 'bull';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { bullRedisOptions } from '../src/jobs/jobs.module';
import { TEST_REDIS_URL } from './helpers/test-app';

/** Bull reads REDIS_URL itself (no hand parsing): database, credentials and TLS come through. */
describe("Bull's Redis connection from REDIS_URL", () => {
  const queues: Bull.Queue[] = [];
  const open = (url: string, prefix = 'unused') => {
    const { url: queueUrl, redis } = bullRedisOptions(url);
    const queue = new Bull('probe', queueUrl as string, { redis, prefix });
    queue.on('error', () => undefined);
    queues.push(queue);
    return queue;
  };
  afterAll(() => Promise.all(queues.map((q) => q.close().catch(() => undefined))));

  it('writes to the database the URL names', async () => {
    const prefix = `test-${randomBytes(4).toString('hex')}`;
    const queue = open(`${TEST_REDIS_URL.replace(/\/\d*$/, '')}/5`, prefix);
    const job = await queue.add({ hello: 'world' }, { jobId: 'probe-job' });
    const db5 = new Redis(`${TEST_REDIS_URL.replace(/\/\d*$/, '')}/5`);
    const db0 = new Redis(TEST_REDIS_URL.replace(/\/\d*$/, ''));
    try {
      expect(await db5.exists(`${prefix}:probe:${job.id}`)).toBe(1);
      expect(await db0.exists(`${prefix}:probe:${job.id}`)).toBe(0);
      await queue.obliterate({ force: true });
    } finally {
      db5.disconnect();
      db0.disconnect();
    }
  });

  it('takes host, port, credentials and TLS from a rediss URL, with our timeouts (nothing listens on port 1)', () => {
    const options = open('rediss://worker:s%40cret@127.0.0.1:1/2').clients[0].options;
    expect(options).toMatchObject({
      host: '127.0.0.1',
      port: 1,
      username: 'worker',
      password: 's@cret',
      connectTimeout: 2_000,
      maxRetriesPerRequest: null,
    });
    expect(Number(options.db)).toBe(2);
    expect(options.tls).toEqual({});
    expect(open('redis://127.0.0.1:6379').clients[0].options.tls).toBeUndefined();
  });
});
