import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { resolve } from 'node:path';

import type { Deps } from '../cli/deps.js';
import { CliError, UsageError } from '../cli/errors.js';
import { note, printJson, table } from '../cli/output.js';
import { searchConnectorFiles } from '../definition/discover.js';
import { duplicateLinkNames, type LinkNameOwner } from '../definition/link-name.js';
import { decodeSource, isSourceProblem, readSourceBytes } from '../definition/source.js';
import { checkSource } from '../definition/check.js';
import { ConnectionMetadata } from '../store/metadata.js';
import { configDir } from '../store/paths.js';

/** One row of `connector list`; `--json` prints an array of these. A field the file lacks is null. */
export interface ConnectorSummary {
  name: string | null;
  linkName: string | null;
  stage: string | null;
  authType: string | null;
  grantType: string | null;
  /** Stored connections for the link name; null when the connection list cannot be read. */
  connections: number | null;
  path: string;
  valid: boolean;
  /** Errors `connector validate` would report for the file, a duplicate link name included. */
  errors: number;
}

/** A summary, and what the duplicate link-name check needs from the same file. */
interface Entry {
  summary: ConnectorSummary;
  owner: LinkNameOwner;
}

/** Files read in parallel, so file system latency overlaps with parsing. The bound keeps few file handles open. */
const FILES_READ_AT_ONCE = 16;

/**
 * `connector list [DIR]`: every connector file below DIR. Each file is validated in full,
 * which costs little more than the YAML parse the row needs anyway. A broken file then shows
 * as an invalid row instead of failing the whole list.
 */
export async function run(args: unknown[], _options: Record<string, unknown>, deps: Deps): Promise<void> {
  const dir = String(args[0] ?? '.');
  const folder = resolve(deps.cwd, dir);
  await requireFolder(folder, dir);

  const { files } = await searchConnectorFiles(folder, { label: dir });
  const entries = await mapWithLimit(files, FILES_READ_AT_ONCE, (file) => summarize(file, deps.cwd));
  const summaries = entries.map((entry) => entry.summary);

  for (const duplicate of duplicateLinkNames(entries.map((entry) => entry.owner))) {
    const summary = summaries[duplicate.index]!;
    summary.errors++;
    summary.valid = false;
  }

  // NOTE: connections are stored by link name, so files that share one also share the count.
  const counts = await countConnections(deps);
  for (const summary of summaries) {
    if (counts === undefined) summary.connections = null;
    else if (summary.linkName !== null) summary.connections = counts.get(summary.linkName) ?? 0;
  }

  if (deps.options.json) {
    printJson(deps.io, summaries);
    return;
  }
  printTable(summaries, dir, deps);
}

async function summarize(file: string, cwd: string): Promise<Entry> {
  const summary: ConnectorSummary = {
    name: null, linkName: null, stage: null, authType: null, grantType: null, connections: 0, path: file, valid: false, errors: 1,
  };
  const owner: LinkNameOwner = { file, linkName: undefined, linkNameAt: undefined };

  // The search found a file, so it is read directly: loadConnectorFile would first check
  // whether the path names a folder.
  const path = resolve(cwd, file);
  let bytes;
  try {
    bytes = await readSourceBytes(path, file);
  } catch (error) {
    // An unreadable file is one invalid row; the rest are still listed.
    if (error instanceof CliError) return { summary, owner };
    throw error;
  }
  const source = decodeSource(bytes, path, file);
  if (isSourceProblem(source)) return { summary, owner };
  const result = await checkSource(source);

  // A valid file has its schema defaults filled in (stage: draft); an invalid one is read as written.
  const value = asRecord(result.connector ?? result.value);
  const auth = asRecord(value.auth);
  summary.name = text(value.name);
  summary.linkName = text(value.linkName);
  summary.stage = value.stage === undefined && result.value !== undefined ? 'draft' : text(value.stage);
  summary.authType = text(auth.type);
  summary.grantType = text(auth.grantType);
  summary.errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === 'error').length;
  summary.valid = summary.errors === 0;

  // The list only counts a duplicate link name as an error, so its position is not needed.
  if (summary.linkName !== null) owner.linkName = summary.linkName;
  return { summary, owner };
}

/**
 * Counts the stored connections per link name. The list of connectors matters more than the
 * counts, so a connection list that cannot be read is a warning, and the counts are null.
 */
async function countConnections(deps: Deps): Promise<Map<string, number> | undefined> {
  const folder = configDir({ env: deps.env, platform: process.platform, homedir: homedir() });
  const metadata = new ConnectionMetadata({ folder, clock: deps.clock });

  let records;
  try {
    records = await metadata.list();
  } catch (error) {
    note(deps.io, `warning: connection counts are not shown: ${(error as Error).message}`);
    return undefined;
  }

  const counts = new Map<string, number>();
  for (const record of records) counts.set(record.connector, (counts.get(record.connector) ?? 0) + 1);
  return counts;
}

function printTable(summaries: ConnectorSummary[], dir: string, deps: Deps): void {
  if (summaries.length === 0) {
    note(deps.io, `No connector files (connector.yaml) below ${dir}.`);
    return;
  }

  const cell = (value: string | number | null) => (value === null ? '-' : String(value));
  const rows = summaries.map((summary) => [
    cell(summary.name),
    cell(summary.linkName),
    cell(summary.stage),
    cell(summary.authType),
    cell(summary.grantType),
    cell(summary.connections),
    summary.valid ? summary.path : `${summary.path}  (invalid: ${summary.errors} error${summary.errors === 1 ? '' : 's'})`,
  ]);
  deps.io.stdout.write(`${table(['NAME', 'LINK NAME', 'STAGE', 'AUTH', 'GRANT', 'CONNECTIONS', 'PATH'], rows)}\n`);

  const invalid = summaries.filter((summary) => !summary.valid).length;
  const count = `${summaries.length} connector${summaries.length === 1 ? '' : 's'}`;
  note(deps.io, invalid === 0 ? `${count}, all valid.` : `${count}, ${invalid} invalid; run connector validate ${dir} to see the problems.`);
}

/** Runs `task` on every item, at most `limit` at a time, and returns the results in input order. */
async function mapWithLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

async function requireFolder(path: string, label: string): Promise<void> {
  const hint = 'pass the folder that contains the connector files, e.g. connector list connectors';
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch {
    throw new UsageError(`folder not found: ${label}`, { hint });
  }
  if (!isDirectory) throw new UsageError(`${label} is a file, not a folder`, { hint });
}
