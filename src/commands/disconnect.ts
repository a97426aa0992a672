import type { Deps } from '../cli/deps.js';
import { note, printJson, styleFor } from '../cli/output.js';
import { DEFAULT_CONNECTION } from '../connection/credentials.js';
import { disconnect } from '../connection/disconnect.js';

/** `connector disconnect [NAME]`: revoke the tokens where the connector can, then forget the connection. */
export async function run(args: unknown[], flags: Record<string, unknown>, deps: Deps): Promise<void> {
  const style = styleFor(deps.io);
  const warn = (message: string) => note(deps.io, `${style.warning('warning:')} ${message}`);
  const options = {
    connection: typeof args[0] === 'string' ? args[0] : DEFAULT_CONNECTION,
    force: flags.force === true,
    ...(typeof flags.connector === 'string' ? { connector: flags.connector } : {}),
  };

  const result = await disconnect(options, deps, warn);
  if (deps.options.json) {
    printJson(deps.io, result);
    return;
  }
  const revoked = result.revoked ? 'revoked its tokens and ' : '';
  note(deps.io, `Disconnected ${result.connector}/${result.connection}: ${revoked}deleted its credential and metadata.`);
}
