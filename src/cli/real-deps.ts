import type { Deps, GlobalOptions, Io, Prompter, SecretStore } from './deps.js';

/**
 * The real outside world. Heavy modules (prompts, keychain, browser opener) are imported on
 * first use so that commands which do not need them start fast.
 */
export function createDeps(io: Io, env: NodeJS.ProcessEnv, cwd: string, options: GlobalOptions): Omit<Deps, 'io' | 'env' | 'cwd' | 'options' | 'signal'> {
  const interactive = options.input && io.stdin.isTTY === true && io.stdout.isTTY === true;
  let prompter: Promise<Prompter> | undefined;
  let secretStore: Promise<SecretStore> | undefined;

  return {
    clock: { now: () => Date.now() },
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
    fetch: globalThis.fetch.bind(globalThis),
  };
}
