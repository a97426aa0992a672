import type { Deps, GlobalOptions, Io, Prompter, SecretStore } from './deps.js';
import { createTracingFetch } from './trace.js';

/**
 * Builds the real dependencies. Heavy modules (prompts, keychain, browser opener) are imported on
 * first use so that commands which do not need them start fast.
 */
export function createDeps(io: Io, env: NodeJS.ProcessEnv, cwd: string, options: GlobalOptions): Omit<Deps, 'io' | 'env' | 'cwd' | 'options' | 'signal'> {
  // stdout first: io.stdin may be a lazy getter, and creating the stdin stream costs start-up time.
  const interactive = options.input && io.stdout.isTTY === true && io.stdin.isTTY === true;
  let prompter: Promise<Prompter> | undefined;
  let secretStore: Promise<SecretStore> | undefined;
  const clock = { now: () => Date.now() };
  const fetch = globalThis.fetch.bind(globalThis);

  return {
    clock,
    interactive,
    prompter: () => (prompter ??= import('./prompter.js').then((module) => module.createPrompter())),
    secretStore: () =>
      (secretStore ??= import('../store/select.js').then(async (module) => {
        const opened = await module.openSecretStore({ env, insecureStorage: options.insecureStorage === true });
        if (opened.notice) io.stderr.write(`${opened.notice}\n`);
        return opened.store;
      })),
    openBrowser: async (url: string) => {
      const { default: open } = await import('open');
      const child = await open(url, { wait: false });
      // A missing opener (xdg-open on a headless machine) fails after spawning; the URL is printed anyway.
      child.on('error', () => undefined);
      child.unref();
    },
    // --verbose traces every HTTP exchange on stderr, with credentials redacted.
    fetch: options.verbose ? createTracingFetch(fetch, { stream: io.stderr, clock }) : fetch,
  };
}
