import type { Deps } from '../cli/deps.js';
import { note, printJson, table } from '../cli/output.js';
import { listConnections, type ConnectionListing } from '../connection/list.js';

/** `connector connections`: every stored connection, or one connector's with `--connector`. */
export async function run(_args: unknown[], flags: Record<string, unknown>, deps: Deps): Promise<void> {
  const filter = typeof flags.connector === 'string' ? { connector: flags.connector } : {};
  const listings = await listConnections(deps, filter);

  if (deps.options.json) {
    printJson(deps.io, listings.map(toJson));
    return;
  }
  if (listings.length === 0) {
    note(deps.io, filter.connector === undefined ? 'No connections yet. Create one with connector connect.' : `${filter.connector} has no connections.`);
    return;
  }

  const now = deps.clock.now();
  const rows = listings.map(({ record, status }) => [
    record.connector,
    record.name,
    record.grantType === undefined ? record.authType : `${record.authType} (${record.grantType})`,
    shortTime(record.createdAt),
    record.expiresAt === undefined ? '-' : `${shortTime(record.expiresAt)}${Date.parse(record.expiresAt) <= now ? ' (expired)' : ''}`,
    record.scopes === undefined || record.scopes.length === 0 ? '-' : record.scopes.join(' '),
    record.store,
    status,
  ]);
  deps.io.stdout.write(`${table(['CONNECTOR', 'NAME', 'AUTH', 'CREATED', 'EXPIRES', 'SCOPES', 'STORE', 'STATUS'], rows)}\n`);

  for (const { record, status, problem, fix } of listings) {
    if (status === 'ok') continue;
    note(deps.io, `${record.connector}/${record.name}: ${problem ?? status}${fix === undefined ? '' : `; fix: ${fix}`}`);
  }
}

function toJson({ record, status, problem, fix }: ConnectionListing): Record<string, unknown> {
  return {
    name: record.name,
    connector: record.connector,
    authType: record.authType,
    grantType: record.grantType ?? null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    expiresAt: record.expiresAt ?? null,
    scopes: record.scopes ?? [],
    missingScopes: record.missingScopes ?? [],
    store: record.store,
    parameters: record.parameters ?? {},
    connectorFile: record.connectorFile ?? null,
    status,
    problem: problem ?? null,
    fix: fix ?? null,
  };
}

/** `2025-01-31T09:30:00.000Z` as `2025-01-31 09:30Z`: minutes are precise enough for a table. */
function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/:\d{2}(\.\d+)?Z$/, 'Z');
}
