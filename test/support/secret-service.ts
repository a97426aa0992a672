/**
 * A private Secret Service for tests: a D-Bus session bus of its own and gnome-keyring with a
 * fresh login keyring, in a temporary HOME so that no existing keyring interferes. A keyring
 * made earlier with another password would fail every call with "unlock prompt was dismissed".
 *
 * @napi-rs/keyring (through libdbus) connects to the session bus named by
 * DBUS_SESSION_BUS_ADDRESS on its first call and keeps that connection for the life of the
 * process: a later change to `process.env` has no effect. Tests therefore run keychain code in
 * a child process with the bus address in its environment, through `runKeychainSteps`.
 */

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { keyringByAbsoluteUrl } from '../../scripts/demo/keychain-probe.mjs';

export type SecretServiceSession =
  | {
      available: true;
      /** The environment for a process that should use this session bus. */
      env: NodeJS.ProcessEnv;
      stop(): Promise<void>;
    }
  | { available: false; reason: string };

/**
 * The program that owns the Secret Service name on the private bus: gnome-keyring with an
 * unlocked login keyring, none, or `dbus-test-tool black-hole`, which never replies.
 */
export type SecretServiceKind = 'gnome-keyring' | 'none' | 'unresponsive';

const repositoryRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const readyTimeoutMs = 10_000;
const secretServiceName = 'org.freedesktop.secrets';

const requiredPrograms: Record<SecretServiceKind, { programs: string[]; packages: string }> = {
  'gnome-keyring': { programs: ['dbus-daemon', 'dbus-send', 'gnome-keyring-daemon'], packages: 'dbus gnome-keyring' },
  none: { programs: ['dbus-daemon', 'dbus-send'], packages: 'dbus' },
  unresponsive: { programs: ['dbus-daemon', 'dbus-send', 'dbus-test-tool'], packages: 'dbus dbus-tests' },
};

/**
 * Starts dbus-daemon and the chosen Secret Service, waits until it is ready, and returns the
 * environment to use. For gnome-keyring, ready means the login keyring is the default
 * collection. When a program is missing or fails to start, returns the reason instead, so that
 * tests can skip and print it.
 */
export async function startSecretService(kind: SecretServiceKind = 'gnome-keyring'): Promise<SecretServiceSession> {
  if (process.platform !== 'linux') return { available: false, reason: 'a private Secret Service is only set up on Linux' };

  const { programs, packages } = requiredPrograms[kind];
  for (const program of programs) {
    if (!(await onPath(program))) {
      return { available: false, reason: `${program} is not installed (apt-get install ${packages})` };
    }
  }

  const root = await mkdtemp(join(tmpdir(), 'connector-secret-service-'));
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const child of children.reverse()) await endProcess(child);
    await rm(root, { recursive: true, force: true });
  };

  try {
    const env = await prepareHome(root);
    const busConfig = join(root, 'session-bus.conf');
    await writeFile(busConfig, busConfigText(root));

    const bus = spawn('dbus-daemon', [`--config-file=${busConfig}`, '--nofork', '--print-address=1'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(bus);
    env.DBUS_SESSION_BUS_ADDRESS = await firstLine(bus, 'dbus-daemon');

    if (kind === 'gnome-keyring') {
      // --unlock reads the password from stdin. A newline gives an empty password; an empty
      // stdin counts as no password, and then no login keyring is created.
      const keyring = startDaemon('gnome-keyring-daemon', ['--replace', '--unlock', '--components=secrets', '--foreground'], env, '\n');
      children.push(keyring.child);
      await waitUntil(keyring, () => hasDefaultCollection(env));
    }

    if (kind === 'unresponsive') {
      const blackHole = startDaemon('dbus-test-tool', ['black-hole', `--name=${secretServiceName}`], env, '');
      children.push(blackHole.child);
      await waitUntil(blackHole, () => nameHasOwner(env, secretServiceName));
    }

    return { available: true, env, stop };
  } catch (error) {
    await stop();
    return { available: false, reason: `the private Secret Service did not start: ${(error as Error).message}` };
  }
}

interface Daemon {
  name: string;
  child: ChildProcess;
  spawnError(): Error | undefined;
}

function startDaemon(program: string, args: string[], env: NodeJS.ProcessEnv, input: string): Daemon {
  const child = spawn(program, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let spawnError: Error | undefined;
  child.on('error', (error) => (spawnError = error));

  child.stdin?.end(input);
  child.stdout?.resume();
  child.stderr?.resume();
  return { name: program, child, spawnError: () => spawnError };
}

async function prepareHome(root: string): Promise<NodeJS.ProcessEnv> {
  const home = join(root, 'home');
  const runtime = join(root, 'runtime');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_RUNTIME_DIR: runtime,
  };

  await mkdir(env.XDG_CONFIG_HOME as string, { recursive: true });
  await mkdir(env.XDG_DATA_HOME as string, { recursive: true });
  await mkdir(runtime, { mode: 0o700 });
  return env;
}

/**
 * Returns the configuration of a session bus that listens in `root` and activates no services,
 * so only the daemon started here provides the Secret Service.
 */
function busConfigText(root: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${root}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

/** Polls `isReady` with a growing pause between tries until it returns true, the daemon exits, or 10 s pass. */
async function waitUntil(daemon: Daemon, isReady: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  let delay = 10;

  for (;;) {
    const error = daemon.spawnError();
    if (error !== undefined) throw error;
    if (daemon.child.exitCode !== null) throw new Error(`${daemon.name} exited with code ${daemon.child.exitCode}`);

    if (await isReady()) return;

    if (Date.now() > deadline) throw new Error(`${daemon.name} was not ready after ${readyTimeoutMs / 1000} s`);
    await new Promise((resolvePause) => setTimeout(resolvePause, delay));
    delay = Math.min(delay * 2, 200);
  }
}

async function hasDefaultCollection(env: NodeJS.ProcessEnv): Promise<boolean> {
  const reply = await run(
    'dbus-send',
    ['--session', '--print-reply', `--dest=${secretServiceName}`, '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.ReadAlias', 'string:default'],
    env,
  );
  return /object path "\/org\/freedesktop\/secrets\/collection\//.test(reply.stdout);
}

async function nameHasOwner(env: NodeJS.ProcessEnv, name: string): Promise<boolean> {
  const reply = await run(
    'dbus-send',
    ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', `string:${name}`],
    env,
  );
  return reply.stdout.includes('boolean true');
}

/** Runs a program to its end and returns its output and exit code. */
export function run(
  program: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(program, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', rejectRun);
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
    // A program that exits without reading stdin closes the pipe first, and its exit code is what counts.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

function firstLine(child: ChildProcess, name: string): Promise<string> {
  return new Promise((resolveLine, rejectLine) => {
    let output = '';
    let errors = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const end = output.indexOf('\n');
      if (end !== -1) resolveLine(output.slice(0, end).trim());
    });
    child.on('error', rejectLine);
    child.on('exit', (code) => rejectLine(new Error(`${name} exited with code ${code}: ${errors.trim()}`)));
  });
}

/** Ends one child that this module started: SIGTERM, then SIGKILL if it has not exited after 5 s. */
async function endProcess(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;

  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const escalation = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(escalation);
}

export async function onPath(program: string): Promise<boolean> {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (folder === '') continue;
    try {
      await access(join(folder, program), constants.X_OK);
      return true;
    } catch {
      // Not in this folder.
    }
  }
  return false;
}

/** One call in a child process; see `runKeychainSteps`. */
export type KeychainStep =
  | { op: 'set'; service: string; account: string; value: string }
  | { op: 'get' | 'delete'; service: string; account: string }
  | { op: 'probe' }
  | { op: 'open'; insecureStorage?: boolean };

export type KeychainStepResult =
  | { ok: true; value?: unknown }
  | { ok: false; name: string; message: string; hint?: string };

/**
 * Runs keychain steps in a fresh Node process with `env`, through the project's own store
 * modules, bundled with esbuild because Node 20 cannot run TypeScript. `set`, `get` and
 * `delete` go through the chunked keychain store; `probe` calls `KeychainStore.probe`; `open`
 * calls `openSecretStore` and returns the kind of store. Each result is the value or the error.
 * The bundle is built on the first call and kept until `removeStoreBundle`.
 */
export async function runKeychainSteps(env: NodeJS.ProcessEnv, steps: KeychainStep[]): Promise<KeychainStepResult[]> {
  storeBundle ??= bundleStoreModules();
  const bundle = await storeBundle;
  const driver = `
    const store = await import(${JSON.stringify(bundle.url)});
    const steps = JSON.parse(await new Promise((done) => {
      let text = '';
      process.stdin.setEncoding('utf8').on('data', (chunk) => (text += chunk)).on('end', () => done(text));
    }));
    const keychain = new store.KeychainStore({ timeoutMs: 5000 });
    const chunked = new store.ChunkedSecretStore(keychain);
    const results = [];
    for (const step of steps) {
      try {
        let value;
        if (step.op === 'set') value = await chunked.set(step.service, step.account, step.value);
        if (step.op === 'get') value = await chunked.get(step.service, step.account);
        if (step.op === 'delete') value = await chunked.delete(step.service, step.account);
        if (step.op === 'probe') {
          const probe = await keychain.probe();
          value = probe.ok ? { ok: true } : { ok: false, message: probe.error.message, reason: probe.error.reason };
        }
        if (step.op === 'open') value = (await store.openSecretStore({ env: process.env, insecureStorage: step.insecureStorage })).kind;
        results.push({ ok: true, value });
      } catch (error) {
        results.push({ ok: false, name: error.name, message: error.message, hint: error.hint });
      }
    }
    process.stdout.write(JSON.stringify(results));
  `;

  const result = await run(process.execPath, ['--input-type=module', '-e', driver], env, JSON.stringify(steps));
  if (result.code !== 0) throw new Error(`the keychain driver exited with code ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as KeychainStepResult[];
}

let storeBundle: Promise<{ url: string; folder: string }> | undefined;

/** Removes the bundle that `runKeychainSteps` built; call it from `afterAll`. */
export async function removeStoreBundle(): Promise<void> {
  if (storeBundle === undefined) return;

  const { folder } = await storeBundle;
  storeBundle = undefined;
  await rm(folder, { recursive: true, force: true });
}

/**
 * Bundles the store modules into one ES module in a temporary folder. The native
 * `@napi-rs/keyring` stays external, imported by its absolute file URL so that it resolves
 * from the temporary folder.
 */
async function bundleStoreModules(): Promise<{ url: string; folder: string }> {
  const { build } = await import('esbuild');
  const folder = await mkdtemp(join(tmpdir(), 'connector-store-bundle-'));
  const outfile = join(folder, 'store.mjs');

  await build({
    stdin: {
      contents: [
        "export * from './src/store/keychain.ts';",
        "export * from './src/store/chunked.ts';",
        "export * from './src/store/select.ts';",
      ].join('\n'),
      resolveDir: repositoryRoot,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
    plugins: [keyringByAbsoluteUrl()],
  });
  return { url: pathToFileURL(outfile).href, folder };
}
