/**
 * Connection metadata: `connections.json` in the config folder, one record per connection.
 * It holds only what `connector connections` lists and what commands need to find a
 * connection again. The secrets live in the secret store.
 *
 * File format: `{ "version": 1, "connections": [ <ConnectionRecord>, ... ] }`.
 */

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { OperationError } from '../cli/errors.js';
import type { Clock } from '../cli/deps.js';
import type { AuthType, GrantType } from '../definition/types.js';
import { isErrorCode, writeFileAtomic } from './atomic-write.js';
import { withLock } from './lock.js';
import type { LockOptions } from './lock.js';

export const connectionsFileName = 'connections.json';

export type StoreKind = 'keychain' | 'file';

/** One connection's non-secret facts. Times are ISO 8601 strings in UTC. */
export interface ConnectionRecord {
  /** The connector's link name. */
  connector: string;
  /** The connection's name, unique per connector. */
  name: string;
  authType: AuthType;
  grantType?: GrantType;
  createdAt: string;
  updatedAt: string;
  /** The access token's expiry time, when the provider gave one. */
  expiresAt?: string;
  /** The scopes the provider granted. */
  scopes?: string[];
  /** Requested scopes that the provider did not grant. */
  missingScopes?: string[];
  /** The secret store that contains the connection's credential. */
  store: StoreKind;
  /** Set when a refresh was refused, so the connection must be authorized again. */
  needsReconnect?: boolean;
  /** The absolute path of the connector file the connection was made with. */
  connectorFile?: string;
  /** Connection parameters such as a tenant subdomain; never secrets. */
  parameters?: Record<string, string>;
}

/** A record as callers write it; the store sets `createdAt` and `updatedAt`. */
export type ConnectionInput = Omit<ConnectionRecord, 'createdAt' | 'updatedAt'>;

export interface ConnectionMetadataOptions {
  /** The config folder, from `configDir` in paths.ts. */
  folder: string;
  clock: Clock;
  lock?: LockOptions;
}

export class ConnectionMetadata {
  readonly path: string;
  private readonly folder: string;
  private readonly clock: Clock;
  private readonly lockOptions: LockOptions;

  constructor(options: ConnectionMetadataOptions) {
    this.folder = options.folder;
    this.path = join(options.folder, connectionsFileName);
    this.clock = options.clock;
    this.lockOptions = options.lock ?? {};
  }

  /** Lists the connections, of one connector when `connector` is given, sorted by connector and name. */
  async list(filter: { connector?: string } = {}): Promise<ConnectionRecord[]> {
    const records = await this.read();
    const selected = filter.connector === undefined ? records : records.filter((record) => record.connector === filter.connector);
    return [...selected].sort((a, b) => a.connector.localeCompare(b.connector) || a.name.localeCompare(b.name));
  }

  async get(connector: string, name: string): Promise<ConnectionRecord | undefined> {
    return (await this.read()).find((record) => matches(record, connector, name));
  }

  /**
   * Adds the connection, or replaces the one with the same connector and name while keeping
   * its `createdAt`. Returns the record as stored.
   */
  async upsert(input: ConnectionInput): Promise<ConnectionRecord> {
    return this.update((records) => {
      const now = new Date(this.clock.now()).toISOString();
      const index = records.findIndex((record) => matches(record, input.connector, input.name));
      const createdAt = index === -1 ? now : (records[index]?.createdAt ?? now);
      const record: ConnectionRecord = { ...input, createdAt, updatedAt: now };

      if (index === -1) records.push(record);
      else records[index] = record;
      return record;
    });
  }

  /**
   * Changes some fields of an existing connection and sets `updatedAt`. Returns the record as
   * stored, or undefined when there is no such connection. A field set to undefined is removed.
   */
  async patch(
    connector: string,
    name: string,
    changes: Partial<Omit<ConnectionRecord, 'connector' | 'name' | 'createdAt' | 'updatedAt'>>,
  ): Promise<ConnectionRecord | undefined> {
    return this.update((records) => {
      const index = records.findIndex((record) => matches(record, connector, name));
      const current = records[index];
      if (current === undefined) return undefined;

      const record: ConnectionRecord = { ...current, ...changes, updatedAt: new Date(this.clock.now()).toISOString() };
      records[index] = withoutUndefined(record);
      return records[index];
    });
  }

  /** Removes the connection; returns false when there was none. */
  async remove(connector: string, name: string): Promise<boolean> {
    return this.update((records) => {
      const index = records.findIndex((record) => matches(record, connector, name));
      if (index === -1) return false;

      records.splice(index, 1);
      return true;
    });
  }

  /**
   * Reads, changes and writes the file under the lock, so that concurrent commands keep each
   * other's changes. `change` edits the array in place; the file is written only when the
   * result is not false or undefined.
   */
  private async update<T>(change: (records: ConnectionRecord[]) => T): Promise<T> {
    await mkdir(this.folder, { recursive: true, mode: 0o700 });

    return withLock(
      `${this.path}.lock`,
      async () => {
        const records = await this.read();
        const result = change(records);
        if (result !== false && result !== undefined) await this.write(records);
        return result;
      },
      this.lockOptions,
    );
  }

  private async read(): Promise<ConnectionRecord[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) return [];
      throw error;
    }

    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw this.corruptError(`is not valid JSON (${(error as Error).message})`, error);
    }
    return this.validate(parsed);
  }

  private validate(parsed: unknown): ConnectionRecord[] {
    if (!isRecord(parsed) || parsed.version !== 1 || !Array.isArray(parsed.connections)) {
      throw this.corruptError('does not have the expected form { "version": 1, "connections": [ ... ] }');
    }

    for (const [index, record] of parsed.connections.entries()) {
      const problem = recordProblem(record);
      if (problem !== undefined) throw this.corruptError(`has an invalid connection at index ${index}: ${problem}`);
    }
    return parsed.connections as ConnectionRecord[];
  }

  private async write(records: ConnectionRecord[]): Promise<void> {
    const text = `${JSON.stringify({ version: 1, connections: records }, null, 2)}\n`;
    await writeFileAtomic(this.path, text, { mode: 0o600 });
  }

  private corruptError(problem: string, cause?: unknown): OperationError {
    return new OperationError(`The connection list ${this.path} ${problem}.`, {
      hint: 'Fix the file by hand, or move it aside and run `connector connect` again for each connection.',
      cause,
    });
  }
}

function matches(record: ConnectionRecord, connector: string, name: string): boolean {
  return record.connector === connector && record.name === name;
}

/** Returns what makes `value` unusable as a record, or undefined when the required fields are present. */
function recordProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'not an object';

  for (const field of ['connector', 'name', 'authType', 'createdAt', 'updatedAt'] as const) {
    if (typeof value[field] !== 'string') return `"${field}" is missing or not text`;
  }
  if (value.store !== 'keychain' && value.store !== 'file') return '"store" must be "keychain" or "file"';
  return undefined;
}

function withoutUndefined<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
