import type { Deps } from '../cli/deps.js';
import { note, printJson, styleFor } from '../cli/output.js';
import { deleteConnectorSecret, setConnectorSecret } from '../connection/connector-secret.js';

/** `connector secret set NAME`: keep a connector secret (clientSecret, consumerSecret) in the keychain. */
export async function runSet(args: unknown[], flags: Record<string, unknown>, deps: Deps): Promise<void> {
  const result = await setConnectorSecret(String(args[0]), { stdin: flags.stdin === true }, deps);
  if (deps.options.json) {
    printJson(deps.io, { connector: result.connector, name: result.name, stored: true });
    return;
  }
  const store = result.store === 'file' ? 'the plain file store' : 'the keychain';
  note(deps.io, `Stored ${result.name} of ${result.connector} in ${store}.${result.switched ? ` auth.${result.name} now says keychain.` : ''}`);
}

/** `connector secret delete NAME`: remove a connector secret from the keychain. */
export async function runDelete(args: unknown[], _flags: Record<string, unknown>, deps: Deps): Promise<void> {
  const style = styleFor(deps.io);
  const result = await deleteConnectorSecret(String(args[0]), deps, (message) => note(deps.io, `${style.warning('warning:')} ${message}`));
  if (deps.options.json) {
    printJson(deps.io, { connector: result.connector, name: result.name, deleted: result.deleted });
    return;
  }
  note(deps.io, result.deleted ? `Deleted ${result.name} of ${result.connector}.` : `${result.connector} had no ${result.name} stored; nothing was deleted.`);
}
