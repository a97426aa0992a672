/**
 * The opt-in plain secret store: `secrets.json` in the data folder, readable only by its owner.
 * It exists for machines without a keychain (containers, CI) and is used only when the user
 * asks for it with `--insecure-storage` or `CONNECTOR_INSECURE_STORAGE=1`.
 *
 * File format: `{ "version": 1, "services": { "<service>": { "<account>": "<value>" } } }`.
 */

import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { OperationError } from '../cli/errors.js';
import type { SecretStore } from '../cli/deps.js';
import { isErrorCode, writeFileAtomic } from './atomic-write.js';
import { withLock } from './lock.js';
import type { LockOptions } from './lock.js';

export const secretsFileName = 'secrets.json';

/** The switch that turned the file store on, named in the notice. */
export type InsecureStorageSource = 'flag' | 'environment';

export interface FileSecretStoreOptions {
  /** The data folder, from `dataDir` in paths.ts. */
  folder: string;
  source: InsecureStorageSource;
  lock?: LockOptions;
}

type Services = Record<string, Record<string, string>>;

export class FileSecretStore implements SecretStore {
  readonly kind = 'file';
  readonly path: string;
  /** The line the CLI prints to stderr on every run that uses this store. */
  readonly notice: string;
  private readonly folder: string;
  private readonly lockOptions: LockOptions;

  constructor(options: FileSecretStoreOptions) {
    this.folder = options.folder;
    this.path = join(options.folder, secretsFileName);
    this.lockOptions = options.lock ?? {};

    const switchName = options.source === 'flag' ? '--insecure-storage is given' : 'CONNECTOR_INSECURE_STORAGE=1 is set';
    this.notice = `Secrets are stored in plain text in ${this.path} because ${switchName}.`;
  }

  async get(service: string, account: string): Promise<string | null> {
    await this.checkFolder();
    const services = await this.read();
    return services[service]?.[account] ?? null;
  }

  async set(service: string, account: string, value: string): Promise<void> {
    await this.update((services) => {
      const accounts = services[service] ?? {};
      accounts[account] = value;
      services[service] = accounts;
      return true;
    });
  }

  async delete(service: string, account: string): Promise<boolean> {
    return this.update((services) => {
      const accounts = services[service];
      if (accounts === undefined || !Object.hasOwn(accounts, account)) return false;

      delete accounts[account];
      if (Object.keys(accounts).length === 0) delete services[service];
      return true;
    });
  }

  /** Reads, changes and writes the file under the lock, so concurrent commands keep each other's changes. */
  private async update(change: (services: Services) => boolean): Promise<boolean> {
    await this.prepareFolder();

    return withLock(
      `${this.path}.lock`,
      async () => {
        const services = await this.read();
        const changed = change(services);
        if (changed) await this.write(services);
        return changed;
      },
      this.lockOptions,
    );
  }

  private async read(): Promise<Services> {
    let text: string;
    try {
      await checkOwnerAndMode(this.path, 0o600);
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) return {};
      throw error;
    }

    // The parser's message quotes the text, which contains secrets, so it is neither shown nor kept as the cause.
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw this.corruptError('is not valid JSON');
    }
    return this.validate(parsed);
  }

  private validate(parsed: unknown): Services {
    if (!isRecord(parsed) || parsed.version !== 1 || !isRecord(parsed.services)) {
      throw this.corruptError('does not have the expected form { "version": 1, "services": { ... } }');
    }

    const services: Services = Object.create(null) as Services;
    for (const [service, accounts] of Object.entries(parsed.services)) {
      if (!isRecord(accounts) || !Object.values(accounts).every((value) => typeof value === 'string')) {
        throw this.corruptError(`has a non-text value under service "${service}"`);
      }
      services[service] = Object.assign(Object.create(null) as Record<string, string>, accounts);
    }
    return services;
  }

  private async write(services: Services): Promise<void> {
    const text = `${JSON.stringify({ version: 1, services }, null, 2)}\n`;
    await writeFileAtomic(this.path, text, { mode: 0o600 });
  }

  private async checkFolder(): Promise<void> {
    try {
      await checkOwnerAndMode(this.folder, 0o700);
    } catch (error) {
      if (!isErrorCode(error, 'ENOENT')) throw error;
    }
  }

  /** Creates the folder with mode 0700, or checks and tightens an existing one. Its parents get the default mode. */
  private async prepareFolder(): Promise<void> {
    await mkdir(dirname(this.folder), { recursive: true });
    try {
      await mkdir(this.folder, { mode: 0o700 });
    } catch (error) {
      if (!isErrorCode(error, 'EEXIST')) throw error;
    }
    await checkOwnerAndMode(this.folder, 0o700);
  }

  private corruptError(problem: string): OperationError {
    return new OperationError(`The secrets file ${this.path} ${problem}.`, {
      hint: `Move it aside and store the secrets again with \`connector connect\` or \`connector secret set\`, or fix the file by hand.`,
    });
  }
}

/**
 * Rejects a file or folder owned by another user, and removes group and other permissions
 * from one that has them. A symbolic link is followed, so its target is checked. Skipped on
 * Windows, where the user profile's access control list protects the data folder and POSIX
 * modes do not apply.
 */
async function checkOwnerAndMode(path: string, mode: number): Promise<void> {
  if (process.platform === 'win32') return;

  const info = await stat(path);
  checkOwner(path, info.uid);
  if ((info.mode & 0o077) !== 0) await chmod(path, mode);
}

function checkOwner(path: string, uid: number): void {
  const self = process.getuid?.();
  if (self === undefined || uid === self) return;

  throw new OperationError(`${path} belongs to user id ${uid}, not to you (user id ${self}), so no secrets are read from or written to it.`, {
    hint: `Change its owner with \`chown\`, or choose another folder with CONNECTOR_CONFIG_DIR.`,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
