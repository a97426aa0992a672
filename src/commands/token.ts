import type { Deps } from '../cli/deps.js';
import { UsageError } from '../cli/errors.js';
import { printJson, printLine } from '../cli/output.js';
import { parseTimeoutSeconds } from '../connection/timeout.js';
import { freshOAuth2Credential, openConnection, type FreshTokenOptions, type OpenedConnection } from '../connection/token.js';

/**
 * `connector token [--connection NAME] [--header]`: prints the access token, or with
 * `--header` the whole Authorization header, and nothing else on stdout, so that
 * `$(connector token)` is the token.
 */
export async function run(_args: unknown[], options: Record<string, unknown>, deps: Deps): Promise<void> {
  const renewal: FreshTokenOptions = { timeoutMs: parseTimeoutSeconds(options.timeout) * 1000 };
  const connection = await openConnection(deps, typeof options.connection === 'string' ? options.connection : undefined);
  if (options.header === true) {
    await printHeader(connection, deps, renewal);
    return;
  }

  if (connection.connector.auth.type !== 'oauth2') throw noAccessToken(connection);
  const credential = await freshOAuth2Credential(connection, renewal);

  if (deps.options.json) {
    printJson(deps.io, {
      accessToken: credential.accessToken,
      tokenType: credential.tokenType,
      expiresAt: credential.expiresAt === undefined ? null : new Date(credential.expiresAt).toISOString(),
      scopes: credential.scopes ?? [],
    });
    return;
  }
  printLine(deps.io, credential.accessToken);
}

async function printHeader(connection: OpenedConnection, deps: Deps, renewal: FreshTokenOptions): Promise<void> {
  const credential = connection.connector.auth.type === 'oauth2' ? await freshOAuth2Credential(connection, renewal) : connection.credential;
  const { authorizationHeader } = await import('../auth/apply.js');
  const value = authorizationHeader(connection.connector, credential);

  if (deps.options.json) {
    printJson(deps.io, { name: 'Authorization', value });
    return;
  }
  printLine(deps.io, `Authorization: ${value}`);
}

/** Returns the usage error (exit 2) for a Basic, API key or OAuth 1.0a connection, which has no access token, naming what to use instead. */
function noAccessToken(connection: OpenedConnection): UsageError {
  const { connector, name } = connection;
  const auth = connector.auth;
  const subject = `connection ${name} of ${connector.linkName}`;

  switch (auth.type) {
    case 'basic':
      return new UsageError(`${subject} uses Basic authentication, which has no access token`, {
        hint: 'print the Authorization header with connector token --header, or send requests with connector request',
      });
    case 'apiKey': {
      const inAuthorization = auth.location === 'header' && auth.parameters.some((parameter) => parameter.key.toLowerCase() === 'authorization');
      return new UsageError(`${subject} uses an API key, which is not an access token`, {
        hint: inAuthorization
          ? 'print the Authorization header with connector token --header, or send requests with connector request'
          : 'send requests with connector request, which adds the key',
      });
    }
    default:
      return new UsageError(`${subject} uses OAuth 1.0a, which signs each request instead of sending a reusable token`, {
        hint: 'send requests with connector request, which signs them',
      });
  }
}
