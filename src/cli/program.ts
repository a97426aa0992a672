import { Command, Option } from 'commander';

import type { allCommands } from './commands.js';
import type { Deps, GlobalOptions, Io } from './deps.js';
import { packageVersion } from './version.js';

type MakeDeps = (options: GlobalOptions) => Deps;
type Action = (args: unknown[], options: Record<string, unknown>, deps: Deps) => Promise<void>;

/**
 * The loader of each command's module, as src/cli/commands.ts lists them. A program declares only
 * the commands it is given, so a bundle built for one command (scripts/build.mjs) carries only
 * that command's code.
 */
export type CommandModules = typeof allCommands;

export type CommandTable = Partial<CommandModules>;

/** Options every command takes (DESIGN: -f, --json, --no-input, --no-color, --verbose). */
function addCommonOptions(command: Command): Command {
  return command
    .option('-f, --file <path>', 'connector file, or a folder holding connector.yaml, or - for stdin (default: ./connector.yaml, searched upwards)')
    .option('--json', 'print machine-readable JSON on stdout and nothing else there')
    .option('--no-input', 'never prompt; a missing value is a usage error that names its flag')
    .option('--no-color', 'do not style output (also honoured: NO_COLOR)')
    .option('--verbose', 'trace on stderr, with every secret redacted');
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * Declares the commands in `commands` and their flags, in the order of the full help. The code
 * behind a command is imported only when that command runs, so help loads none of it.
 */
export function buildProgram(io: Io, makeDeps: MakeDeps, commands: CommandTable): Command {
  const program = new Command('connector');
  program
    .description('Create, validate and authorize custom API connectors (connector.yaml) from the command line.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(text.replace(/^error: /, 'error: ')),
    });
  addCommonOptions(program);
  program.addHelpText(
    'after',
    '\nExit codes: 0 success, 1 failure, 2 usage error, 3 invalid connector file,\n4 authorization needed or refused, 130 interrupted.\n',
  );

  const define = <Name extends keyof CommandModules>(
    name: Name,
    build: () => Command,
    pick: (module: Awaited<ReturnType<CommandModules[Name]>>) => Action,
  ): void => {
    const load = commands[name];
    if (load === undefined) return;
    const command = build();
    addCommonOptions(command);
    command.exitOverride();
    command.action(async (...args: unknown[]) => {
      const self = args[args.length - 1] as Command;
      const local = self.opts();
      const merged = { ...program.opts(), ...dropDefaults(self, local) };
      const globals: GlobalOptions = {
        file: merged.file as string | undefined,
        json: merged.json === true,
        input: merged.input !== false,
        color: merged.color !== false,
        verbose: merged.verbose === true,
        insecureStorage: merged.insecureStorage === true,
      };
      const deps = makeDeps(globals);
      const action = pick((await load()) as Awaited<ReturnType<CommandModules[Name]>>);
      await action(args.slice(0, -2), merged, deps);
    });
  };

  define(
    'init',
    () =>
      program
        .command('init')
        .argument('[dir]', 'folder to create connector.yaml in', '.')
        .description('create connector.yaml: prompts for General, Security and Scopes, or flags and templates')
        .option('--name <name>', 'display name (1 to 50 characters)')
        .option('--link-name <linkName>', 'link name (default: derived from the name)')
        .option('--description <text>', 'description (at most 255 characters)')
        .option('--logo <path>', 'logo file (PNG, JPEG, GIF or SVG, at most 1 MiB), relative to the connector file')
        .option('--base-url <url>', 'base URL that relative request paths resolve against')
        .addOption(new Option('--auth <type>', 'auth type').choices(['basic', 'apiKey', 'oauth1', 'oauth2']))
        .addOption(new Option('--grant-type <grant>', 'OAuth 2.0 grant type').choices(['authorizationCode', 'clientCredentials', 'deviceCode']))
        .option('--client-id <id>', 'OAuth 2.0 client id')
        .option('--client-secret-env <NAME>', 'read the client secret from this environment variable (writes env:NAME)')
        .option('--client-secret-stdin', 'read the client secret from stdin and keep it in the keychain')
        .option('--no-client-secret', 'a public client without a secret')
        .option('--authorization-url <url>', 'authorization endpoint (OAuth 1.0a and 2.0)')
        .option('--token-url <url>', 'OAuth 2.0 token endpoint')
        .option('--device-authorization-url <url>', 'OAuth 2.0 device authorization endpoint')
        .option('--refresh-token-url <url>', 'OAuth 2.0 refresh endpoint (default: the token endpoint)')
        .option('--revoke-token-url <url>', 'token revocation endpoint')
        .option('--redirect-uri <uri>', 'pinned loopback redirect URI, e.g. http://127.0.0.1:8765/callback')
        .option('--bearer-name <name>', 'prefix of the Authorization header (default: Bearer)')
        .option('--expires-in <seconds>', 'token lifetime when a token response has none (default: 3600)')
        .option('--no-pkce', 'do not use PKCE (only for providers that reject it)')
        .addOption(new Option('--client-authentication <method>', 'how the client authenticates at the token endpoint').choices(['body', 'basic']))
        .option('--scope <value[=name]>', 'an OAuth 2.0 scope, with an optional display name; repeatable', collect)
        .addOption(new Option('--scope-delimiter <delimiter>', 'how scopes are joined').choices(['comma', 'space', 'plus']))
        .option('--consumer-key <key>', 'OAuth 1.0a consumer key')
        .option('--consumer-secret-env <NAME>', 'read the OAuth 1.0a consumer secret from this environment variable')
        .option('--consumer-secret-stdin', 'read the OAuth 1.0a consumer secret from stdin and keep it in the keychain')
        .option('--request-token-url <url>', 'OAuth 1.0a temporary credentials endpoint')
        .option('--access-token-url <url>', 'OAuth 1.0a token credentials endpoint')
        .addOption(new Option('--signature-method <method>', 'OAuth 1.0a signature method').choices(['HMAC-SHA1', 'HMAC-SHA256', 'PLAINTEXT', 'RSA-SHA1']))
        .addOption(new Option('--location <location>', 'where API keys are sent').choices(['header', 'query', 'form']))
        .option('--api-key <key[=name]>', 'an API key parameter: its key (header, query or form name) and prompt; repeatable', collect)
        .option('--set <key=value>', 'set any field by dotted path, e.g. --set auth.tokenParams.audience=api; repeatable', collect)
        .option('--template <name>', 'start from a template (see --list-templates)')
        .option('--list-templates', 'list the templates and exit')
        .option('--force', 'overwrite an existing connector.yaml')
        .option('--insecure-storage', 'keep secrets in a plain file instead of the OS keychain'),
    (module) => module.run,
  );

  define(
    'validate',
    () =>
      program
        .command('validate')
        .argument('[files...]', 'connector files or folders; - reads stdin (default: ./connector.yaml)')
        .description('report every problem at once, as FILE:LINE:COL: message'),
    (module) => module.run,
  );

  define(
    'list',
    () =>
      program
        .command('list')
        .argument('[dir]', 'folder to search below; node_modules and dot-folders are skipped', '.')
        .description('list the connector files below a folder: name, link name, stage, auth type, grant type, connections and path'),
    (module) => module.run,
  );

  define(
    'ready',
    () =>
      program.command('ready').description('validate strictly and promote the connector to the Ready stage'),
    (module) => module.runReady,
  );
  define(
    'draft',
    () =>
      program.command('draft').description('return the connector to the Draft stage'),
    (module) => module.runDraft,
  );

  define(
    'get',
    () =>
      program.command('get').argument('<key>', 'dotted path, e.g. auth.clientId').description('print one field'),
    (module) => module.runGet,
  );
  define(
    'set',
    () =>
      program
        .command('set')
        .argument('<key>', 'dotted path, e.g. auth.clientId')
        .argument('[value]', 'new value, read as the type the schema gives the field')
        .option('--unset', 'remove the field instead')
        .description('change one field, keeping comments and formatting'),
    (module) => module.runSet,
  );

  let scopes: Command | undefined;
  const scopesCommand = () => (scopes ??= program.command('scopes').description('the OAuth 2.0 scopes table'));
  define(
    'scopes',
    () =>
      scopesCommand().command('list').option('--search <text>', 'only scopes whose name or value contains the text').description('list scopes'),
    (module) => module.runList,
  );
  define(
    'scopes',
    () =>
      scopesCommand().command('add').requiredOption('--value <value>', 'scope value sent to the provider').option('--name <name>', 'display name (default: the value)').description('add a scope'),
    (module) => module.runAdd,
  );
  define(
    'scopes',
    () =>
      scopesCommand().command('edit').argument('<value>', 'the scope value to change').option('--name <name>', 'new display name').option('--value <value>', 'new value').description('change a scope'),
    (module) => module.runEdit,
  );
  define(
    'scopes',
    () =>
      scopesCommand().command('remove').argument('<values...>', 'scope values to remove').description('remove scopes'),
    (module) => module.runRemove,
  );

  define(
    'schema',
    () =>
      program.command('schema').description('print the JSON Schema of connector.yaml'),
    (module) => module.run,
  );

  // Connections: connect, connections, disconnect, secret.
  const insecureStorage = 'keep secrets in a plain file (mode 0600) instead of the OS keychain; also CONNECTOR_INSECURE_STORAGE=1';
  define(
    'connect',
    () =>
      program
        .command('connect')
        .description('authorize a connection to the API and store it (the connector must be Ready)')
        .option('--connection <name>', 'name of the connection, to keep several per connector (default: default)')
        .option('--param <key=value>', 'a connection parameter, user name, password or API key by its key; repeatable', collect)
        .option('--param-stdin <key>', 'read the value of KEY from stdin, which keeps it out of the process list and shell history')
        .option('--no-browser', 'print the authorization URL instead of opening the browser')
        .option('--paste', 'for a browser on another machine: open the printed URL there and paste the URL it ended on into stdin')
        .option('--timeout <seconds>', 'seconds to wait for the browser (default: 300) or the device approval (default: the code lifetime)')
        .option('--force', 'replace an existing connection of the same name without asking')
        .option('--insecure-storage', insecureStorage),
    (module) => module.run,
  );
  define(
    'connections',
    () =>
      program
        .command('connections')
        .description('list connections: name, connector, auth type, expiry, scopes, store, status')
        .option('--connector <linkName>', 'only the connections of this connector')
        .option('--insecure-storage', insecureStorage),
    (module) => module.run,
  );
  define(
    'disconnect',
    () =>
      program
        .command('disconnect')
        .argument('[name]', 'the connection to remove', 'default')
        .description('revoke the tokens where the connector can, then delete the connection')
        .option('--connector <linkName>', 'find the connection by link name, without a connector file here')
        .option('--force', 'delete even when revoking fails or cannot be tried')
        .option('--insecure-storage', insecureStorage),
    (module) => module.run,
  );
  let secret: Command | undefined;
  const secretCommand = () => (secret ??= program.command('secret').description('connector secrets (clientSecret, consumerSecret) kept in the keychain'));
  define(
    'secret',
    () =>
      secretCommand()
        .command('set')
        .argument('<name>', 'clientSecret (OAuth 2.0) or consumerSecret (OAuth 1.0a)')
        .description('store a connector secret: from a masked prompt, or from stdin when piped')
        .option('--stdin', 'read the secret from stdin (the default when stdin is not a terminal)')
        .option('--insecure-storage', insecureStorage),
    (module) => module.runSet,
  );
  define(
    'secret',
    () =>
      secretCommand()
        .command('delete')
        .argument('<name>', 'clientSecret or consumerSecret')
        .description('delete a connector secret from the keychain')
        .option('--insecure-storage', insecureStorage),
    (module) => module.runDelete,
  );

  // Scripted use: token, request, check, completion.
  const connectionOption = 'the connection to use (default: default)';
  const insecureStorageOption = 'read the connection from the plain secrets file instead of the OS keychain; also CONNECTOR_INSECURE_STORAGE=1';
  define(
    'token',
    () =>
      program
        .command('token')
        .description('print a valid OAuth 2.0 access token, renewing it when it expires within 60 seconds')
        .option('--connection <name>', connectionOption)
        .option('--header', 'print the whole Authorization header instead (also for Basic and header API keys)')
        .option('--timeout <seconds>', 'limit for a token renewal request, in seconds (default: 30)')
        .option('--insecure-storage', insecureStorageOption),
    (module) => module.run,
  );
  define(
    'request',
    () =>
      program
        .command('request')
        .argument('<method-or-url>', 'the HTTP method, or the URL when the method is left out (GET, or POST with data)')
        .argument('[url]', "an absolute URL, or a path that resolves against the connector's baseUrl")
        .description("send an HTTP request with the connection's credentials applied, like curl")
        .option('-H, --header <line>', "request header as 'Name: value'; repeatable", collect)
        .option('-d, --data <data>', 'form body: text, @FILE, or @- for stdin; repeatable, joined with &', collect)
        .option('--data-json <json>', 'JSON body: text, @FILE, or @- for stdin; sets Content-Type: application/json')
        .option('-i, --include', 'print the status line and response headers on stderr')
        .option('--connection <name>', connectionOption)
        .option('--allow-host <host>', "also send the credentials to this host (HOST or HOST:PORT); repeatable", collect)
        .option('--timeout <seconds>', 'limit for the whole request, in seconds (default: 30)')
        .option('--insecure-storage', insecureStorageOption),
    (module) => module.run,
  );
  define(
    'check',
    () =>
      program
        .command('check')
        .description("send the connector's test request with a connection and report the status and time")
        .option('--connection <name>', connectionOption)
        .option('--timeout <seconds>', 'limit for the test request, in seconds (default: 30)')
        .option('--insecure-storage', insecureStorageOption),
    (module) => module.run,
  );
  define(
    'completion',
    () => {
      const completion = program.command('completion').description('print a shell completion script for bash, zsh or fish');
      return completion.addArgument(completion.createArgument('<shell>', 'the shell: bash, zsh or fish').choices(['bash', 'zsh', 'fish']));
    },
    (module) => module.run,
  );

  return program;
}

/** Commander fills in defaults such as `input: true` on every command; only flags the user passed may override the root's. */
function dropDefaults(command: Command, options: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (command.getOptionValueSource(key) === 'default') continue;
    result[key] = value;
  }
  return result;
}
