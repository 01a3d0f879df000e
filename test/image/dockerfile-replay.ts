import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join, posix } from 'node:path';

/**
 * Replays the Dockerfile's stages in plain folders, for a machine without a Docker engine:
 * each stage's WORKDIR becomes a folder, COPY copies from the repository or from an earlier
 * stage's folder, RUN runs with the stage's ENV. What cannot be replayed is said here:
 * - the build stage's `npm ci` is a symlink to the repository's node_modules (same lockfile);
 * - `npm cache clean` is skipped (it only makes the image smaller, and would empty this machine's cache);
 * - USER is recorded, and the test starts the image's processes as an unprivileged uid when it runs as root.
 */

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
  env: Record<string, string>;
  user?: string;
  cmd?: string[];
  healthcheck?: { options: string; cmd: string[] };
  /** folder standing for the stage's WORKDIR after replay */
  dir?: string;
}

export function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword, args] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!keyword) throw new Error(`cannot parse Dockerfile line: ${line}`);
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ name: name ?? String(stages.length), from, instructions: [], env: {} });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${upper} before FROM`);
    stage.instructions.push({ keyword: upper, args });
    if (upper === 'ENV') {
      for (const [, key, value] of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) stage.env[key] = value.replace(/^"|"$/g, '');
    } else if (upper === 'USER') {
      stage.user = args;
    } else if (upper === 'CMD') {
      stage.cmd = JSON.parse(args);
    } else if (upper === 'HEALTHCHECK') {
      const [, options, cmd] = /^(.*?)\s*CMD\s+(\[.*\])$/.exec(args) ?? [];
      stage.healthcheck = { options, cmd: JSON.parse(cmd) };
    }
  }
  return stages;
}

/** The .dockerignore allow-list: `*` first, then `!name` lines. */
function allowedInContext(root: string, source: string): boolean {
  const lines = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  if (lines.find((l) => l && !l.startsWith('#')) !== '*') throw new Error('.dockerignore is expected to start with * (an allow-list)');
  const top = source.replace(/^\.\//, '').split('/')[0];
  return lines.some((l) => l === `!${top}` || l === `!${top}/`);
}

export function replay(stages: Stage[], repoRoot: string, workRoot: string, extraEnv: Record<string, string> = {}): void {
  for (const stage of stages) {
    let dir = workRoot;
    for (const { keyword, args } of stage.instructions) {
      if (keyword === 'WORKDIR') {
        dir = join(workRoot, stage.name, args);
        mkdirSync(dir, { recursive: true });
      } else if (keyword === 'COPY') {
        const words = args.split(/\s+/);
        const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
        const [dest, ...sources] = words.filter((w) => !w.startsWith('--')).reverse();
        for (const source of sources.reverse()) {
          let origin: string;
          if (from) {
            const earlier = stages.find((s) => s.name === from);
            const workdir = earlier?.instructions.find((i) => i.keyword === 'WORKDIR')?.args ?? '/';
            if (!earlier?.dir) throw new Error(`COPY --from=${from}: no such stage replayed before`);
            origin = join(earlier.dir, posix.relative(workdir, source));
          } else {
            if (!allowedInContext(repoRoot, source)) throw new Error(`COPY ${source}: left out of the build context by .dockerignore`);
            origin = join(repoRoot, source);
          }
          if (!existsSync(origin)) throw new Error(`COPY ${source}: ${origin} does not exist`);
          const target = dest.endsWith('/') || sources.length > 1 ? join(dir, dest, posix.basename(source)) : join(dir, dest);
          cpSync(origin, target, { recursive: true, filter: (path) => !/\.spec\.ts$|\.tsbuildinfo$/.test(path) });
        }
      } else if (keyword === 'RUN') {
        for (const command of args.split('&&').map((c) => c.trim())) {
          if (/^npm cache clean/.test(command)) continue;
          if (stage.name === 'build' && /^npm ci\b/.test(command) && !command.includes('--omit=dev')) {
            symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
            continue;
          }
          execFileSync('sh', ['-c', command], {
            cwd: dir,
            env: { ...process.env, ...stage.env, ...extraEnv },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
        }
      }
    }
    stage.dir = dir;
  }
}
