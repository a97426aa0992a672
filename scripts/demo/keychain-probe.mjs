/**
 * Checks, before the demo starts, whether `connector` can use the OS keychain here. It runs the
 * project's own probe (`KeychainStore.probe` in src/store/keychain.ts: write, read back and
 * delete a throwaway entry), bundled with esbuild because Node 20 cannot import TypeScript.
 * The probe runs in a child process that is ended after a time limit, because a keychain that
 * never replies can hold a native call, and with it the Node process, open.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Returns `{ available: true, occupied }`, where `occupied` is true when the keychain already has
 * an entry under `service` and `account` (one the demo must not overwrite), or
 * `{ available: false, reason }`. `folder` is a scratch folder for the bundle, `timeoutMs`
 * bounds the whole check, and `signal` ends it early.
 */
export async function probeKeychain({ folder, service, account, timeoutMs, env, signal }) {
  const bundle = await bundleKeychainStore(folder);
  const driver = `
    const { KeychainStore } = await import(${JSON.stringify(bundle)});
    const keychain = new KeychainStore({ timeoutMs: ${Math.floor(timeoutMs / 3)} });
    const probe = await keychain.probe();
    if (!probe.ok) {
      process.stdout.write(JSON.stringify({ available: false, reason: probe.error.reason }));
    } else {
      const existing = await keychain.get(${JSON.stringify(service)}, ${JSON.stringify(account)});
      process.stdout.write(JSON.stringify({ available: true, occupied: existing !== null }));
    }
  `;

  const result = await runWithTimeLimit(process.execPath, ['--input-type=module', '-e', driver], { env, timeoutMs, signal });
  if (signal?.aborted) return { available: false, reason: 'the keychain check was cancelled' };
  if (result.timedOut) return { available: false, reason: `the keychain did not answer within ${timeoutMs / 1000} s` };
  try {
    return JSON.parse(result.stdout);
  } catch {
    const detail = result.stderr.trim().split('\n').at(-1) ?? '';
    return { available: false, reason: `the keychain check failed (exit code ${result.code}${detail === '' ? '' : `: ${detail}`})` };
  }
}

/**
 * Bundles the keychain store into one ES module in `folder` and returns its file URL. The
 * native `@napi-rs/keyring` stays external, imported by its absolute file URL so that it
 * resolves from the scratch folder.
 */
async function bundleKeychainStore(folder) {
  const { build } = await import('esbuild');
  const outfile = join(folder, 'keychain-store.mjs');

  await build({
    entryPoints: [join(repositoryRoot, 'src', 'store', 'keychain.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
    plugins: [keyringByAbsoluteUrl()],
  });
  return pathToFileURL(outfile).href;
}

/** Runs a program to its end, or ends it with SIGKILL once `timeoutMs` have passed or `signal` aborts. */
function runWithTimeLimit(program, args, { env, timeoutMs, signal }) {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const onAbort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/**
 * Returns an esbuild plugin that leaves the native `@napi-rs/keyring` out of a bundle and
 * imports it by its absolute file URL, so that a bundle written to a scratch folder finds it.
 */
export function keyringByAbsoluteUrl() {
  const keyringUrl = pathToFileURL(createRequire(import.meta.url).resolve('@napi-rs/keyring')).href;
  return {
    name: 'keyring-by-absolute-url',
    setup(plugin) {
      plugin.onResolve({ filter: /^@napi-rs\/keyring$/ }, () => ({ path: keyringUrl, external: true }));
    },
  };
}
