import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { SHUTDOWN_TIMEOUT_MS } from '../src/common/graceful-shutdown';
import { parseEnv } from '../src/config/app-config';

const root = join(__dirname, '..');
const k8sDir = join(root, 'deploy', 'k8s');

type Doc = Record<string, any>;

const manifests: Doc[] = readdirSync(k8sDir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) => parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8')).map((d) => ({ ...d.toJS(), __file: file })));

const find = (kind: string, name: string): Doc => {
  const found = manifests.find((m) => m.kind === kind && m.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return found;
};

/** The names parseEnv reads, found by recording its reads of a valid environment. */
function variablesParseEnvReads(): Set<string> {
  const read = new Set<string>();
  const env = new Proxy(validEnv(), {
    get: (target, key: string) => {
      read.add(key);
      return target[key];
    },
  });
  parseEnv(env);
  return read;
}

function validEnv(): Record<string, string | undefined> {
  return {
    DATABASE_URL: 'postgresql://app:pw@db:5432/spotify',
    REDIS_URL: 'redis://:pw@redis:6379',
    API_KEYS: 'a-real-api-key-0123456789',
    // a fixed key of 32 distinct bytes: production refuses all-zero and low-entropy keys
    TOKEN_ENCRYPTION_KEYS: `k1:${Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 1)).toString('base64')}`,
    SPOTIFY_CLIENT_ID: 'client-id',
    SPOTIFY_CLIENT_SECRET: 'client-secret',
    SPOTIFY_REDIRECT_URI: 'https://example.com/auth/spotify/callback',
  };
}

describe('Kubernetes manifests (deploy/k8s)', () => {
  const api = find('Deployment', 'spotify-sync-api');
  const worker = find('Deployment', 'spotify-sync-worker');
  const job = find('Job', 'spotify-sync-migrate');
  const configMap = find('ConfigMap', 'spotify-sync-config');
  const secret = find('Secret', 'spotify-sync-secrets');
  const podSpecs = [api, worker, job].map((m) => m.spec.template.spec);
  const containers = podSpecs.flatMap((spec) => spec.containers);

  it('validate against the Kubernetes API schemas (bundled by kubernetes-models, offline)', () => {
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      'ConfigMap/spotify-sync-config',
      'Deployment/spotify-sync-api',
      'Deployment/spotify-sync-worker',
      'Ingress/spotify-sync-callback',
      'Job/spotify-sync-migrate',
      'NetworkPolicy/spotify-sync',
      'PodDisruptionBudget/spotify-sync-api',
      'PodDisruptionBudget/spotify-sync-worker',
      'Secret/spotify-sync-migrate-secrets',
      'Secret/spotify-sync-secrets',
      'Service/spotify-sync-api',
    ]);
    const errors: string[] = [];
    for (const { __file, ...manifest } of manifests) {
      // kubernetes-models/<apiVersion>/<Kind>: 'v1' is the core group's folder, 'apps/v1' the apps group's
      const Model = require(`kubernetes-models/${manifest.apiVersion}/${manifest.kind}`)[manifest.kind];
      try {
        new Model(manifest).validate();
      } catch (error) {
        errors.push(`${__file} ${manifest.kind}: ${(error as Error).message}`);
      }
    }
    expect(errors).toEqual([]);
    // the validator does catch mistakes
    const broken = structuredClone(api);
    delete broken.__file;
    broken.spec.template.spec.containers[0].readinessProbe.httpGet.port = { name: 'http' };
    const { Deployment } = require('kubernetes-models/apps/v1/Deployment');
    expect(() => new Deployment(broken).validate()).toThrow(/readinessProbe\/httpGet\/port/);
  });

  it('run the api and the worker as separately scalable Deployments of one image, picked by APP_ROLE', () => {
    const role = (d: Doc) => d.spec.template.spec.containers[0].env.find((e: Doc) => e.name === 'APP_ROLE')?.value;
    expect([role(api), role(worker)]).toEqual(['api', 'worker']);
    expect(api.spec.replicas).toBeGreaterThanOrEqual(2);
    const images = new Set(containers.map((c) => c.image));
    expect(images.size).toBe(1);
    expect([...images][0]).toMatch(/:[\w.-]+$/);
    expect([...images][0]).not.toMatch(/:latest$/);
    for (const d of [api, worker]) {
      expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
    }
  });

  it('probe /health/live and /health/ready on the port the app listens on', () => {
    for (const d of [api, worker]) {
      const [c] = d.spec.template.spec.containers;
      const port = c.ports.find((p: Doc) => p.name === 'http');
      expect(String(port.containerPort)).toBe(configMap.data.PORT);
      expect(c.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(c.startupProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(d.spec.template.metadata.annotations['prometheus.io/path']).toBe('/metrics');
      const metrics = c.ports.find((p: Doc) => p.name === 'metrics');
      expect(String(metrics.containerPort)).toBe(configMap.data.METRICS_PORT);
      expect(d.spec.template.metadata.annotations['prometheus.io/port']).toBe(configMap.data.METRICS_PORT);
    }
  });

  it('publish only the OAuth callback, keep docs off, and let only named peers reach the pods', () => {
    const ingress = find('Ingress', 'spotify-sync-callback');
    const paths = ingress.spec.rules.flatMap((r: Doc) => r.http.paths);
    expect(paths).toEqual([
      { path: '/auth/spotify/callback', pathType: 'Exact', backend: { service: { name: 'spotify-sync-api', port: { name: 'http' } } } },
    ]);
    expect(configMap.data.DOCS_ENABLED).toBe('false');
    const service = find('Service', 'spotify-sync-api');
    expect(service.spec.ports.map((p: Doc) => p.targetPort)).toEqual(['http']);
    const policy = find('NetworkPolicy', 'spotify-sync');
    expect(api.spec.template.metadata.labels).toMatchObject(policy.spec.podSelector.matchLabels);
    expect(worker.spec.template.metadata.labels).toMatchObject(policy.spec.podSelector.matchLabels);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    const ports = policy.spec.ingress.map((rule: Doc) => rule.ports.map((p: Doc) => p.port));
    expect(ports).toEqual([['http'], ['metrics']]);
    for (const rule of policy.spec.ingress) expect(rule.from.length).toBeGreaterThan(0);
  });

  it('give the migration Job a Secret with only DATABASE_URL', () => {
    const [c] = job.spec.template.spec.containers;
    const secretNames = c.envFrom.filter((e: Doc) => e.secretRef).map((e: Doc) => e.secretRef.name);
    expect(secretNames).toEqual(['spotify-sync-migrate-secrets']);
    expect(Object.keys(find('Secret', 'spotify-sync-migrate-secrets').stringData)).toEqual(['DATABASE_URL']);
  });

  it('route the Service to api pods only, and guard both Deployments with a PodDisruptionBudget', () => {
    const service = find('Service', 'spotify-sync-api');
    expect(service.spec.ports[0].targetPort).toBe('http');
    expect(api.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(worker.spec.template.metadata.labels).not.toMatchObject(service.spec.selector);
    for (const d of [api, worker]) {
      const pdb = find('PodDisruptionBudget', d.metadata.name);
      expect(pdb.spec.selector.matchLabels).toEqual(d.spec.selector.matchLabels);
      expect(pdb.spec.maxUnavailable ?? pdb.spec.minAvailable).toBeDefined();
    }
  });

  it('lock every container down: non-root, read-only root filesystem, no capabilities, requests and limits', () => {
    for (const spec of podSpecs) {
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
      expect(spec.automountServiceAccountToken).toBe(false);
      const tmp = spec.volumes.find((v: Doc) => v.emptyDir && spec.containers[0].volumeMounts.some((m: Doc) => m.name === v.name && m.mountPath === '/tmp'));
      expect(tmp).toBeDefined();
    }
    for (const c of containers) {
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(Object.keys(c.resources.requests).sort()).toEqual(['cpu', 'memory']);
      expect(Object.keys(c.resources.limits).sort()).toEqual(['cpu', 'memory']);
    }
  });

  it('give the pods the grace period the app shutdown needs after the preStop sleep', () => {
    for (const d of [api, worker]) {
      const spec = d.spec.template.spec;
      const [, seconds] = spec.containers[0].lifecycle.preStop.exec.command;
      expect(spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(Number(seconds) + SHUTDOWN_TIMEOUT_MS / 1000 + 1);
    }
  });

  it('migrate with a Job running `npm run migration:up` from the same image', () => {
    const [c] = job.spec.template.spec.containers;
    expect(c.command).toEqual(['npm', 'run', 'migration:up']);
    const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts;
    expect(scripts['migration:up']).toBe('mikro-orm migration:up');
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(job.spec.backoffLimit).toBeGreaterThanOrEqual(1);
  });

  it('configure only variables the service reads, enough to start, and an example Secret that cannot start it', () => {
    const known = variablesParseEnvReads();
    const names = [...Object.keys(configMap.data), ...Object.keys(secret.stringData)];
    expect(names.filter((n) => !known.has(n))).toEqual([]);

    const secretValues: Record<string, string> = secret.stringData;
    expect(Object.values(secretValues).every((v) => v.startsWith('REPLACE_ME'))).toBe(true);
    const real = validEnv();
    const filled = Object.fromEntries(Object.keys(secretValues).map((k) => [k, real[k]]));
    for (const role of ['api', 'worker']) {
      expect(parseEnv({ ...configMap.data, ...filled, APP_ROLE: role })).toMatchObject({ role, port: 3000, logFormat: 'json' });
    }
    expect(() => parseEnv({ ...configMap.data, ...secretValues })).toThrow(/Invalid configuration/);
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
  const stages = [...readFileSync(join(root, 'Dockerfile'), 'utf8').matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]);
  const s = compose.services;

  it('has PostgreSQL, Redis, the sandbox, a one-shot migration, the api and a worker', () => {
    expect(Object.keys(s).sort()).toEqual(['api', 'migrate', 'postgres', 'redis', 'sandbox', 'worker']);
    expect(s.migrate.command).toEqual(['npm', 'run', 'migration:up']);
    expect(s.migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const name of ['api', 'worker']) {
      expect(s[name].depends_on.migrate).toEqual({ condition: 'service_completed_successfully' });
      expect(s[name].environment.APP_ROLE).toBe(name);
      expect(parseInt(s[name].stop_grace_period, 10)).toBeGreaterThan(SHUTDOWN_TIMEOUT_MS / 1000);
    }
  });

  it('builds the runtime stage for the service and the build stage (ts-node) for the sandbox', () => {
    for (const name of ['migrate', 'api', 'worker']) expect(s[name].build.target).toBe('runtime');
    expect(s.sandbox.build.target).toBe('build');
    expect(s.sandbox.command).toEqual(['npm', 'run', 'sandbox']);
    expect(stages).toEqual(expect.arrayContaining(['build', 'runtime']));
  });

  it('gives the service an environment that passes its own validation, pointing at the sandbox', () => {
    const known = variablesParseEnvReads();
    for (const name of ['api', 'worker', 'migrate']) {
      const env = s[name].environment;
      expect(Object.keys(env).filter((n) => !known.has(n))).toEqual([]);
      // the image sets NODE_ENV=production; the compose file's own value must win over it
      const config = parseEnv({ NODE_ENV: 'production', ...env });
      expect(config.spotify.apiBaseUrl).toBe('http://sandbox:4010/v1');
      expect(new URL(config.databaseUrl).hostname).toBe('postgres');
    }
  });
});
