import type { Deps } from '../cli/deps.js';
import { UsageError } from '../cli/errors.js';
import { note, printJson } from '../cli/output.js';
import { connect, type ConnectOptions } from '../connection/connect.js';
import { DEFAULT_CONNECTION } from '../connection/credentials.js';
import { parseParamFlags } from '../connection/parameters-input.js';

type Flags = Record<string, unknown>;

/** `connector connect`: authorize a connection and store it. */
export async function run(_args: unknown[], flags: Flags, deps: Deps): Promise<void> {
  const { record, replaced } = await connect(optionsFrom(flags), deps);

  if (record.missingScopes !== undefined && record.missingScopes.length > 0) {
    note(deps.io, `The provider did not grant these scopes: ${record.missingScopes.join(', ')}. Requests that need them will fail.`);
  }

  if (deps.options.json) {
    printJson(deps.io, {
      connection: record.name,
      connector: record.connector,
      authType: record.authType,
      grantType: record.grantType ?? null,
      store: record.store,
      scopes: record.scopes ?? [],
      missingScopes: record.missingScopes ?? [],
      expiresAt: record.expiresAt ?? null,
    });
    return;
  }

  const store = record.store === 'file' ? 'the plain file store' : 'the keychain';
  const expiry = record.expiresAt === undefined ? '' : ` The access token expires at ${record.expiresAt}.`;
  note(deps.io, `${replaced ? 'Replaced' : 'Created'} connection ${record.name} of ${record.connector}, stored in ${store}.${expiry}`);
}

function optionsFrom(flags: Flags): ConnectOptions {
  const options: ConnectOptions = {
    connection: typeof flags.connection === 'string' ? flags.connection : DEFAULT_CONNECTION,
    force: flags.force === true,
    params: parseParamFlags((flags.param as string[] | undefined) ?? []),
    openBrowser: flags.browser !== false,
    paste: flags.paste === true,
  };
  if (typeof flags.paramStdin === 'string') options.paramStdin = flags.paramStdin;
  if (typeof flags.timeout === 'string') options.timeoutSeconds = parseTimeout(flags.timeout);
  return options;
}

function parseTimeout(text: string): number {
  if (!/^[1-9]\d{0,5}$/.test(text)) {
    throw new UsageError(`--timeout takes a whole number of seconds from 1 to 999999, not ${JSON.stringify(text)}`);
  }
  return Number(text);
}
