/**
 * `npm run demo`: the whole job of `connector` against a real OAuth 2.0 / OpenID provider that
 * runs on 127.0.0.1 for the length of the demo. It creates a connector, promotes it to Ready,
 * authorizes a connection in a browser, prints a token's length, sends an authorized request
 * to the provider's userinfo endpoint, and disconnects, printing each step as the command a
 * user would type.
 *
 * Every file lives in one temporary folder that is removed at the end, also after a failure
 * or Ctrl-C. The connection goes to the OS keychain when one is reachable, else to the plain
 * file store in that folder. `npm run demo -- --help` lists the options.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { probeKeychain } from './demo/keychain-probe.mjs';
import { DEMO_LINK_NAME, startOidcProvider } from './demo/oidc-provider.mjs';
import { shellQuote, StepFailedError, Transcript } from './demo/transcript.mjs';
import { completeAuthorization } from './demo/user-agent.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const binary = join(root, 'bin', 'connector.cjs');
const bundle = join(root, 'dist', 'cli.cjs');

/** The connection name; the keychain entry is service `connector:connector_demo`, account `connection:default`. */
const CONNECTION = 'default';
const KEYCHAIN_PROBE_TIMEOUT_MS = 15_000;
const DEMO_USER = 'demo';
const AUTHORIZATION_URL = /^(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)$/m;

const USAGE = `Usage: npm run demo [-- --scripted | --no-browser]

Runs connector init, ready, connect, token, request and disconnect against an OpenID provider
on 127.0.0.1, with every file in a temporary folder that is removed at the end.

  (no option)     open the system browser when there is a desktop session, else --scripted
  --scripted      a scripted user agent signs in and approves the consent
  --no-browser    print the authorization URL and wait until you open it in any browser
`;

const mode = parseMode(process.argv.slice(2));
if (mode === 'help') {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (!existsSync(bundle)) {
  process.stderr.write('The CLI is not built yet: run `npm ci && npm run build`, then `npm run demo` again.\n');
  process.exit(1);
}
process.exitCode = await main(mode);

/** Runs the demo and returns the exit code: 0 when every step worked, 1 on a failure, 130 on Ctrl-C or SIGTERM. */
async function main(requestedMode) {
  const folder = await mkdtemp(join(tmpdir(), 'connector-demo-'));
  const state = { provider: undefined, transcript: undefined, connected: false, abort: new AbortController() };

  let interrupted = false;
  let finish;
  const stopped = new Promise((resolve) => (finish = resolve));
  const onSignal = () => {
    interrupted = true;
    finish();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let code = 0;
  const steps = runSteps(requestedMode, folder, state);
  try {
    await Promise.race([steps, stopped]);
  } catch (error) {
    code = 1;
    process.stdout.write('\n');
    process.stderr.write(`Demo failed: ${error instanceof StepFailedError ? error.message : (error?.stack ?? String(error))}\n`);
  } finally {
    if (interrupted) {
      code = 130;
      process.stdout.write('\n# Interrupted: stopping the commands and the provider.\n');
    }

    // The abort ends the keychain check and keeps further commands from starting, and stop()
    // ends the running one, so the steps settle soon. Only then is every resource known.
    state.abort.abort();
    await state.transcript?.stop();
    await steps.catch(() => undefined);

    await cleanUp(folder, state);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  return code;
}

async function runSteps(requestedMode, folder, state) {
  const work = join(folder, 'work');
  const config = join(folder, 'config');
  await mkdir(work);
  await mkdir(config);

  state.provider = await startOidcProvider();
  const provider = state.provider;

  const storage = await chooseStorage(folder, state.abort.signal);
  state.abort.signal.throwIfAborted();
  const env = commandEnvironment({ config, folder, insecure: storage.kind === 'file' });
  const transcript = new Transcript({ out: process.stdout, binary, cwd: work, env, signal: state.abort.signal });
  state.transcript = transcript;

  transcript.comment(
    [
      'connector demo: every step as you would type it, against a throwaway OpenID provider.',
      `Provider: ${provider.issuer} (oidc-provider, in-memory; any user name and password sign in).`,
      `Working folder: ${work}`,
      storage.notice,
      `Everything under ${folder} is removed at the end.`,
    ].join('\n'),
  );
  transcript.blank();
  transcript.print(`$ export CONNECTOR_CONFIG_DIR=${config}`);
  if (storage.kind === 'file') transcript.print('$ export CONNECTOR_INSECURE_STORAGE=1');
  transcript.blank();

  const initOptions = [
    ['--no-input'],
    ['--name', 'Connector Demo'],
    ['--link-name', DEMO_LINK_NAME],
    ['--base-url', provider.issuer],
    ['--auth', 'oauth2'],
    ['--client-id', provider.clients.demo.clientId],
    ['--no-client-secret'],
    ['--authorization-url', provider.endpoints.authorization],
    ['--token-url', provider.endpoints.token],
    ['--revoke-token-url', provider.endpoints.revocation],
    ['--scope-delimiter', 'space'],
    ['--scope', 'openid=Sign in'],
    ['--scope', 'profile=Your name'],
    ['--scope', 'email=Your email address'],
  ];
  await transcript.run(['init', ...initOptions.flat()], { display: wrapCommand('connector init', initOptions) });
  transcript.blank();

  await transcript.run(['ready']);
  transcript.blank();

  await connect(requestedMode, transcript, provider);
  state.connected = true;
  transcript.blank();

  await transcript.run(['connections']);
  transcript.blank();

  // The token is a secret: the transcript shows its length, and it is redacted from any later output.
  const token = await transcript.run(['token'], { display: 'connector token | wc -c', echoStdout: false });
  transcript.redact(token.stdout.trim());
  transcript.print(String(Buffer.byteLength(token.stdout)));
  transcript.blank();

  await transcript.run(['request', '/me']);
  transcript.blank();

  await transcript.run(['disconnect']);
  state.connected = false;
  transcript.blank();

  transcript.comment('Done: the connection is revoked at the provider and deleted. Removing the demo folder.');
}

/**
 * Runs `connector connect` in the chosen mode: the system browser, a printed URL for any
 * browser, or the scripted user agent on the printed URL.
 */
async function connect(requestedMode, transcript, provider) {
  let mode = requestedMode;
  if (mode === 'auto') mode = hasDesktopSession() ? 'browser' : 'scripted';

  if (mode === 'browser') {
    transcript.comment(`The browser opens the provider's pages: sign in with any user name and password, then press Continue.`);
    await transcript.run(['connect']);
    return;
  }

  if (mode === 'no-browser') {
    transcript.comment(`Open the URL below in a browser that can reach ${provider.issuer}: sign in with any user name and password, then press Continue.`);
    await transcript.run(['connect', '--no-browser']);
    return;
  }

  if (requestedMode === 'auto') {
    transcript.comment(`No desktop session here, so a scripted user agent plays the browser: it signs in as "${DEMO_USER}" and approves the consent.`);
  } else {
    transcript.comment(`A scripted user agent plays the browser: it signs in as "${DEMO_USER}" and approves the consent.`);
  }
  const running = transcript.start(['connect', '--no-browser']);
  const [, url] = await running.waitForStderr(AUTHORIZATION_URL);
  const callback = await completeAuthorization(url, { login: DEMO_USER });
  const result = await running.result;
  if (callback.status !== 200 || result.code !== 0) {
    throw new StepFailedError('connector connect --no-browser', result.code, 0);
  }
}

/**
 * Picks the secret store: the keychain when the project's probe can write to it and it has no
 * entry for the demo's connection already, else the plain file store in the demo folder.
 * `CONNECTOR_INSECURE_STORAGE=1` in the demo's environment skips the probe.
 */
async function chooseStorage(folder, signal) {
  const fileStore = `Secrets: a plain file (mode 0600) under ${folder}, instead of the keychain.`;

  if (['1', 'true', 'yes'].includes((process.env.CONNECTOR_INSECURE_STORAGE ?? '').trim().toLowerCase())) {
    return { kind: 'file', notice: `CONNECTOR_INSECURE_STORAGE is set in your environment.\n${fileStore}` };
  }

  const probe = await probeKeychain({
    folder,
    service: `connector:${DEMO_LINK_NAME}`,
    account: `connection:${CONNECTION}`,
    timeoutMs: KEYCHAIN_PROBE_TIMEOUT_MS,
    env: process.env,
    signal,
  });
  if (!probe.available) return { kind: 'file', notice: `Keychain: not usable here, because ${probe.reason}.\n${fileStore}` };
  if (probe.occupied) {
    return {
      kind: 'file',
      notice: `Keychain: it already has an entry for connector:${DEMO_LINK_NAME}, which the demo leaves alone.\n${fileStore}`,
    };
  }
  return { kind: 'keychain', notice: `Secrets: the OS keychain, service connector:${DEMO_LINK_NAME}. The last step deletes the entry.` };
}

/**
 * Builds the environment of every command: the caller's, without its connector settings, and
 * with the config folder, the data folder of the file store and the compile cache inside the
 * demo folder, so the demo leaves nothing behind.
 */
function commandEnvironment({ config, folder, insecure }) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('CONNECTOR_')) env[name] = value;
  }
  env.CONNECTOR_CONFIG_DIR = config;
  env.XDG_CONFIG_HOME = join(folder, 'xdg-config');
  env.XDG_DATA_HOME = join(folder, 'xdg-data');
  env.CONNECTOR_CACHE_DIR = join(folder, 'cache');
  if (insecure) env.CONNECTOR_INSECURE_STORAGE = '1';
  return env;
}

/** Returns true where `connector connect` can open a browser on the user's screen: macOS, Windows, or a Linux desktop session. */
function hasDesktopSession() {
  if (process.platform === 'darwin' || process.platform === 'win32') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

/**
 * Stops what is still running and removes the demo folder. A connection that was created but
 * not yet disconnected is deleted first, so a keychain entry does not outlive the demo.
 */
async function cleanUp(folder, { provider, transcript, connected }) {
  try {
    if (transcript !== undefined && connected) {
      transcript.comment('Deleting the demo connection.');
      await transcript.run(['disconnect', '--force'], { afterStop: true }).catch(() => undefined);
    }
    await provider?.close();
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Formats a command over several lines, one option with its value per line, as a shell reads it. */
function wrapCommand(command, options) {
  const lines = options.map(([flag, value]) => (value === undefined ? flag : `${flag} ${shellQuote(value)}`));
  return [command, ...lines].join(' \\\n    ');
}

function parseMode(args) {
  if (args.includes('-h') || args.includes('--help')) return 'help';

  const known = { '--scripted': 'scripted', '--no-browser': 'no-browser' };
  const unknown = args.filter((argument) => !(argument in known));
  if (unknown.length > 0 || args.length > 1) {
    process.stderr.write(`Unknown or extra options: ${args.join(' ')}\n\n${USAGE}`);
    process.exit(2);
  }
  return args.length === 0 ? 'auto' : known[args[0]];
}
