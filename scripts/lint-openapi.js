// `npm run lint:openapi`: `redocly lint openapi.json` (recommended ruleset, redocly.yaml), failing on
// warnings too: redocly itself exits 0 when there are only warnings.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const redocly = join(root, 'node_modules', '.bin', 'redocly');
const lint = (...extra) => spawnSync(redocly, ['lint', 'openapi.json', ...extra], { cwd: root, encoding: 'utf8', stdio: extra.length ? 'pipe' : 'inherit' });

if (lint().status !== 0) process.exit(1);
const { totals } = JSON.parse(lint('--format=json').stdout);
if (totals.errors || totals.warnings) {
  console.error(`openapi.json: ${totals.errors} errors and ${totals.warnings} warnings; both must be 0`);
  process.exit(1);
}
