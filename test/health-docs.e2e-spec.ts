import { createTestApp, TestApp } from './helpers/test-app';

describe('health and API docs', () => {
  let t: TestApp;
  let apiOnly: TestApp;

  beforeAll(async () => {
    t = await createTestApp('health');
    // an api pod whose Redis is unreachable (nothing listens on port 1)
    apiOnly = await createTestApp('health_api', { APP_ROLE: 'api', REDIS_URL: 'redis://127.0.0.1:1' }, t.db);
  });
  afterAll(async () => {
    await apiOnly.close();
    await t.close();
  });

  it('is live and ready without an API key', async () => {
    await t.http().get('/health/live').expect(200);
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.info).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });

  it('keeps an api pod ready while Redis is down, reporting it as degraded', async () => {
    const ready = await apiOnly.http().get('/health/ready').expect(200);
    expect(ready.body.info.redis).toMatchObject({ status: 'up', degraded: true });
  });

  it('marks a worker not ready while Redis is down', async () => {
    const worker = await createTestApp('health_worker', { APP_ROLE: 'worker', REDIS_URL: 'redis://127.0.0.1:1' }, t.db);
    try {
      // a worker serves health and metrics only
      await worker.api().get('/v1/songs').expect(404);
      await worker.http().get('/health/live').expect(200);
      const ready = await worker.http().get('/health/ready').expect(503);
      expect(ready.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
      expect(ready.body.message).toMatch(/^Not ready: redis \(Redis unreachable/);
    } finally {
      await worker.close();
    }
  });

  it('serves the OpenAPI document with every route and the API-key scheme', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(res.body.components.securitySchemes['api-key']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/v1/users', '/v1/users/{id}', '/v1/songs', '/v1/songs/bulk', '/v1/songs/{id}', '/v1/songs/by-spotify-id/{trackId}']),
    );
    expect(res.body.paths['/v1/songs'].get.security).toEqual([{ 'api-key': [] }]);
  });

  it('serves Swagger UI', async () => {
    const res = await t.http().get('/docs/').expect(200);
    expect(res.text).toContain('swagger-ui');
    // usable over plain http inside a cluster too
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });

  it('does not keep the API key in the browser (persistAuthorization off)', async () => {
    const init = await t.http().get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toMatch(/"persistAuthorization":\s*false/);
  });

  it('turns /docs and /docs-json off with DOCS_ENABLED=false', async () => {
    const noDocs = await createTestApp('health_nodocs', { DOCS_ENABLED: 'false' }, t.db);
    try {
      await noDocs.http().get('/docs-json').expect(404);
      await noDocs.http().get('/docs/').expect(404);
      await noDocs.http().get('/health/live').expect(200);
    } finally {
      await noDocs.close();
    }
  });
});
