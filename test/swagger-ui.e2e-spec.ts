import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM, chromiumDecision } from './helpers/chromium';
import { API_KEY, createTestApp, TestApp } from './helpers/test-app';

const browserTest = chromiumDecision();
if (browserTest.kind === 'skip') process.stderr.write(browserTest.line);
// without the background-networking flags Chromium keeps dialling Google's hosts, which this network refuses
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = join(__dirname, 'artifacts');

(browserTest.kind === 'skip' ? describe.skip : describe)('Swagger UI in a real browser', () => {
  if (browserTest.kind === 'fail') {
    it('has Chromium to run in', () => {
      throw new Error(browserTest.reason);
    });
    return;
  }

  let t: TestApp;
  let baseUrl: string;
  let profile: string;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    t = await createTestApp('swagger_ui');
    await t.api().post('/v1/songs').send({ title: 'Bohemian Rhapsody', artist: 'Queen', isrc: 'GBUM71029604' }).expect(201);
    await t.api().post('/v1/songs').send({ title: 'Under Pressure', artist: 'Queen' }).expect(201);
    await t.app.listen(0, '127.0.0.1');
    baseUrl = await t.app.getUrl();
    profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 1000 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  });
  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await t?.close();
  });

  const listSongs = () => page.locator('#operations-songs-listSongs');

  async function execute(): Promise<{ status: string; body: string }> {
    const op = listSongs();
    await op.locator('button.execute').click();
    const row = op.locator('.live-responses-table tbody tr.response').first();
    await row.waitFor();
    return {
      status: (await row.locator('.response-col_status').innerText()).trim().split('\n')[0],
      body: await row.locator('.response-col_description pre').first().innerText(),
    };
  }

  it('runs GET /v1/songs from the page: 401 before authorising, the songs once a key is entered', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // the 401 of the deliberate request without a key is the only error the console may show
    page.on('console', (m) => m.type() === 'error' && !m.text().includes('status of 401') && errors.push(m.text()));

    await page.goto(`${baseUrl}/docs`);
    await page.locator('.swagger-ui .info .title').waitFor();
    expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('Spotify sync service');

    await listSongs().locator('.opblock-summary').click();
    await listSongs().getByRole('button', { name: 'Try it out' }).click();
    const anonymous = await execute();
    expect(anonymous.status).toBe('401');
    expect(anonymous.body).toContain('A valid API key is required');

    await page.locator('.auth-wrapper button.authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    await dialog.locator('input').fill(API_KEY);
    await dialog.locator('button.modal-btn.authorize').click();
    await dialog.locator('button.modal-btn.btn-done').click();

    const authorised = await execute();
    mkdirSync(ARTIFACTS, { recursive: true });
    // the whole operation as a person sees it: parameters, the request sent, the answer
    await listSongs().screenshot({ path: join(ARTIFACTS, 'swagger-ui-list-songs.png') });
    expect(authorised.status).toBe('200');
    const body = JSON.parse(authorised.body);
    expect(body.items.map((s: { title: string }) => s.title).sort()).toEqual(['Bohemian Rhapsody', 'Under Pressure']);
    expect(body.nextCursor).toBeNull();
    // the page shows the request it sent, with the key as a bearer token
    expect(await listSongs().locator('.curl-command').innerText()).toContain(`Authorization: Bearer ${API_KEY}`);
    expect(errors).toEqual([]);
  });
});

type Schema = { $ref?: string; properties?: Record<string, Schema>; items?: Schema; example?: unknown; allOf?: Schema[] };
type Operation = {
  operationId: string;
  security?: unknown[];
  parameters?: { in: string; name: string; required?: boolean; example?: unknown; schema?: Schema & { enum?: unknown[]; default?: unknown } }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
};

/** Fields a person would see as a bare "string" in Swagger UI: properties without an example, followed through $refs. */
function fieldsWithoutExamples(doc: { components: { schemas: Record<string, Schema> } }, schema: Schema | undefined, at: string, seen = new Set<string>()): string[] {
  if (!schema) return [];
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop() as string;
    if (seen.has(name)) return [];
    seen.add(name);
    return fieldsWithoutExamples(doc, doc.components.schemas[name], at, seen);
  }
  if (schema.items) return fieldsWithoutExamples(doc, schema.items, `${at}[]`, seen);
  return Object.entries(schema.properties ?? {}).flatMap(([key, property]) => {
    const nested = property.$ref || property.items?.$ref || property.allOf;
    if (nested) return fieldsWithoutExamples(doc, property.allOf?.[0] ?? property, `${at}.${key}`, seen);
    return property.example === undefined && (property as { type?: string }).type !== 'boolean' ? [`${at}.${key}`] : [];
  });
}

describe('the OpenAPI document behind Swagger UI', () => {
  let t: TestApp;
  let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
  let operations: [string, Operation][];

  beforeAll(async () => {
    t = await createTestApp('swagger_doc');
    doc = (await t.http().get('/docs-json').expect(200)).body;
    operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as [string, Operation]));
  });
  afterAll(() => t.close());

  it('fills in examples for every business route: path parameters, request bodies and answers', () => {
    const covered = operations.filter(([name]) => / \/(v1|health)\//.test(name));
    expect(covered.length).toBeGreaterThanOrEqual(12);
    const missing = covered.flatMap(([name, op]) => [
      ...(op.parameters ?? []).filter((p) => p.in === 'path' && p.example === undefined && p.schema?.example === undefined).map((p) => `${name} path ${p.name}`),
      ...fieldsWithoutExamples(doc, op.requestBody?.content['application/json']?.schema, `${name} body`),
      ...Object.entries(op.responses)
        .filter(([status]) => status.startsWith('2'))
        .flatMap(([status, r]) => fieldsWithoutExamples(doc, r.content?.['application/json']?.schema, `${name} ${status}`)),
    ]);
    expect(missing).toEqual([]);
  });

  it('never pre-fills an optional query filter, which would make Try it out filter silently', () => {
    const prefilled = operations.flatMap(([name, op]) =>
      (op.parameters ?? []).filter((p) => p.in === 'query' && !p.required && (p.example ?? p.schema?.example) !== undefined).map((p) => `${name} ${p.name}`),
    );
    expect(prefilled).toEqual([]);
  });

  it('documents the 401 of every route behind the API key', () => {
    const secured = operations.filter(([, op]) => op.security?.length);
    expect(secured.length).toBeGreaterThan(10);
    expect(secured.filter(([, op]) => !op.responses['401']).map(([name]) => name)).toEqual([]);
  });
});
