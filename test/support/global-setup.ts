import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * CLI tests run the built binary; build once unless CONNECTOR_TEST_SKIP_BUILD=1 and a build
 * exists. The spawned CLIs share one compile cache for the run (see runCli), removed at the end.
 */
export default function setup(): () => void {
  const cache = mkdtempSync(join(tmpdir(), 'connector-test-cache-'));
  process.env.CONNECTOR_TEST_CACHE_DIR = cache;
  const teardown = () => rmSync(cache, { recursive: true, force: true });

  const bundle = join(root, 'dist', 'cli.cjs');
  if (existsSync(bundle) && process.env.CONNECTOR_TEST_SKIP_BUILD === '1') return teardown;
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (!existsSync(bundle) || statSync(bundle).size === 0) throw new Error('the build did not produce dist/cli.cjs');
  return teardown;
}
