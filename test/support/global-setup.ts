import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** CLI tests run the built binary; build once when dist/ is missing or older than src/. */
export default function setup(): void {
  const bundle = join(root, 'dist', 'cli.js');
  if (existsSync(bundle) && process.env.CONNECTOR_TEST_SKIP_BUILD === '1') return;
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (!existsSync(bundle) || statSync(bundle).size === 0) throw new Error('the build did not produce dist/cli.js');
}
