import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestApp, TestApp } from './helpers/test-app';

const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'node_modules', '.bin');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface Operation {
  operationId?: string;
  summary?: string;
  security?: Record<string, string[]>[];
  parameters?: { $ref?: string }[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}

function operations(document: { paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>> }) {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method] as Operation })),
  );
}

describe('the OpenAPI document as a contract', () => {
  let t: TestApp;
  const committed = readFileSync(join(ROOT, 'openapi.json'), 'utf8');

  beforeAll(async () => {
    t = await createTestApp('openapi');
  });
  afterAll(() => t.close());

  it('serves exactly the committed openapi.json', async () => {
    const served = await t.http().get('/docs-json').expect(200);
    const current = `${JSON.stringify(served.body, null, 2)}\n`;
    // a failure here means a route or DTO changed: `npm run openapi:write` and commit openapi.json
    expect({ hint: 'run `npm run openapi:write` and commit openapi.json', document: current }).toEqual({
      hint: 'run `npm run openapi:write` and commit openapi.json',
      document: committed,
    });
  });

  it('passes redocly lint (recommended ruleset) with zero errors and zero warnings', () => {
    const run = spawnSync(join(BIN, 'redocly'), ['lint', 'openapi.json', '--format=json'], { cwd: ROOT, encoding: 'utf8' });
    const report = JSON.parse(run.stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('names every operation with a camelCase verb and a summary, and documents security and errors', () => {
    const document = JSON.parse(committed);
    const ops = operations(document);
    expect(ops.length).toBeGreaterThanOrEqual(25);
    const ids = ops.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, method, op } of ops) {
      const where = `${method.toUpperCase()} ${path}`;
      expect({ where, id: op.operationId }).toEqual({ where, id: expect.stringMatching(/^[a-z]+(?:[A-Z][a-z0-9]*)+$/) });
      expect({ where, summary: op.summary }).toEqual({ where, summary: expect.any(String) });
      expect({ where, security: op.security }).toEqual({ where, security: path.startsWith('/v1/') ? [{ 'api-key': [] }] : [] });
      for (const [status, response] of Object.entries(op.responses).filter(([s]) => Number(s) >= 400)) {
        expect({ where, status, schema: response.content?.['application/json']?.schema }).toEqual({
          where,
          status,
          schema: { $ref: '#/components/schemas/ErrorResponse' },
        });
      }
      if (path.startsWith('/v1/')) expect({ where, has401: '401' in op.responses }).toEqual({ where, has401: true });
      if (path.includes('{')) expect({ where, has404: '404' in op.responses }).toEqual({ where, has404: true });
      if (method === 'post' && path.startsWith('/v1/')) {
        expect(op.parameters).toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['409', '422']));
      }
    }
    // camelCase verb first: never a Nest default such as SongsController_create
    expect(ids.filter((id) => !/^(list|get|create|update|delete|bulk[A-Z]|match|link|unlink|sync|retry|cancel|authorize|disconnect|redeliver|handle)/.test(id ?? ''))).toEqual([]);
    expect(ids).toEqual(expect.arrayContaining(['listSongs', 'createSong', 'bulkUpsertSongs', 'createSyncJob', 'getSyncJob', 'listSyncJobs']));
  });

  it('gives nullable fields their real type (a generated client can set a song album)', () => {
    const { schemas } = JSON.parse(committed).components;
    for (const name of ['CreateSongDto', 'UpdateSongDto']) {
      for (const field of ['album', 'isrc', 'durationMs', 'energy', 'loudness']) {
        expect({ name, field, type: schemas[name].properties[field].type }).toEqual({
          name,
          field,
          type: ['album', 'isrc'].includes(field) ? 'string' : field === 'durationMs' ? 'integer' : 'number',
        });
      }
    }
    expect(schemas.SyncJobResponse.properties.parameters.allOf).toEqual([{ $ref: '#/components/schemas/SyncJobParameters' }]);
  });

  it('has current generated client types in test/generated (else: npm run openapi:types)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-types-'));
    try {
      const out = join(dir, 'openapi.d.ts');
      const run = spawnSync(join(BIN, 'openapi-typescript'), ['openapi.json', '-o', out], { cwd: ROOT, encoding: 'utf8' });
      expect(run.status).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(ROOT, 'test', 'generated', 'openapi.d.ts'), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
