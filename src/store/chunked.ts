/**
 * Splits long secrets over several entries of a SecretStore. Windows Credential Manager keeps
 * at most 2,560 bytes per credential, which is 1,280 UTF-16 code units, and an OAuth token
 * response with an ID token is often longer. The same limit applies on every platform, so
 * entries look alike everywhere.
 *
 * Layout under one service:
 * - A value of at most `limit` code units that does not start with `chunks:` is stored as is
 *   in `<account>`.
 * - Any other value is stored in parts `<account>#<id>.1` ... `<account>#<id>.<count>`, and
 *   `<account>` holds the header `chunks:v1:<id>:<count>:<length>`, where `id` is random for
 *   each write and `length` counts the UTF-16 code units of the whole value.
 *
 * A write stores the new parts first and the header last, then deletes the parts of the
 * previous value. A reader therefore sees either the old or the new value, and a crash during
 * a write leaves the old value readable.
 */

import { randomBytes } from 'node:crypto';

import { OperationError } from '../cli/errors.js';
import type { SecretStore } from '../cli/deps.js';

/** Maximum UTF-16 code units per entry: Windows Credential Manager's 2,560-byte credential blob. */
export const entryLimit = 1280;

const headerPrefix = 'chunks:';
const headerPattern = /^chunks:v1:([0-9a-f]{8}):([1-9][0-9]*):([0-9]+)$/;

interface ChunkHeader {
  id: string;
  count: number;
  length: number;
}

/** A chunked secret with a missing or damaged part; storing the secret again repairs it. */
export class IncompleteEntryError extends OperationError {
  constructor(service: string, account: string, detail: string) {
    super(`The secret for service "${service}", account "${account}" is incomplete: ${detail}.`, {
      hint: 'Store it again: run `connector connect` for a connection, or `connector secret set` for a connector secret.',
    });
  }
}

export class ChunkedSecretStore implements SecretStore {
  readonly kind: string;

  constructor(
    private readonly inner: SecretStore,
    private readonly limit: number = entryLimit,
  ) {
    this.kind = inner.kind;
  }

  async get(service: string, account: string): Promise<string | null> {
    const first = await this.inner.get(service, account);
    if (first === null) return null;

    const header = parseHeader(service, account, first);
    if (header === undefined) return first;

    const pieces: string[] = [];
    for (let index = 1; index <= header.count; index++) {
      const piece = await this.inner.get(service, partAccount(account, header.id, index));
      if (piece === null) {
        throw new IncompleteEntryError(service, account, `part ${index} of ${header.count} is missing`);
      }
      pieces.push(piece);
    }

    const value = pieces.join('');
    if (value.length !== header.length) {
      throw new IncompleteEntryError(service, account, `its parts hold ${value.length} characters instead of ${header.length}`);
    }
    return value;
  }

  async set(service: string, account: string, value: string): Promise<void> {
    const previous = await this.readHeaderForCleanup(service, account);

    if (value.length <= this.limit && !value.startsWith(headerPrefix)) {
      await this.inner.set(service, account, value);
    } else {
      const id = randomBytes(4).toString('hex');
      const pieces = splitPieces(value, this.limit);

      for (const [offset, piece] of pieces.entries()) {
        await this.inner.set(service, partAccount(account, id, offset + 1), piece);
      }
      await this.inner.set(service, account, `${headerPrefix}v1:${id}:${pieces.length}:${value.length}`);
    }

    if (previous !== undefined) await this.deleteParts(service, account, previous);
  }

  /** Deletes the entry and all its parts; returns false when there was no entry. */
  async delete(service: string, account: string): Promise<boolean> {
    const header = await this.readHeaderForCleanup(service, account);
    if (header !== undefined) await this.deleteParts(service, account, header);
    return this.inner.delete(service, account);
  }

  /** Reads the current header so that its parts can be deleted; a damaged header has no parts to find. */
  private async readHeaderForCleanup(service: string, account: string): Promise<ChunkHeader | undefined> {
    const first = await this.inner.get(service, account);
    if (first === null) return undefined;

    try {
      return parseHeader(service, account, first);
    } catch (error) {
      if (error instanceof IncompleteEntryError) return undefined;
      throw error;
    }
  }

  private async deleteParts(service: string, account: string, header: ChunkHeader): Promise<void> {
    for (let index = 1; index <= header.count; index++) {
      await this.inner.delete(service, partAccount(account, header.id, index));
    }
  }
}

function partAccount(account: string, id: string, index: number): string {
  return `${account}#${id}.${index}`;
}

/** Returns the header of a chunked value, or undefined for a value stored as is. */
function parseHeader(service: string, account: string, first: string): ChunkHeader | undefined {
  if (!first.startsWith(headerPrefix)) return undefined;

  const match = headerPattern.exec(first);
  if (match === null) throw new IncompleteEntryError(service, account, 'its header is not readable');

  const [, id = '', count = '', length = ''] = match;
  return { id, count: Number(count), length: Number(length) };
}

/** Splits `value` into pieces of at most `limit` code units, never between the two halves of a surrogate pair. */
export function splitPieces(value: string, limit: number): string[] {
  if (limit < 2) throw new RangeError(`The entry limit must be at least 2 code units, got ${limit}.`);

  const pieces: string[] = [];
  let start = 0;

  while (start < value.length) {
    let end = Math.min(start + limit, value.length);
    if (end < value.length && isHighSurrogate(value.charCodeAt(end - 1))) end -= 1;

    pieces.push(value.slice(start, end));
    start = end;
  }
  return pieces;
}

function isHighSurrogate(codeUnit: number): boolean {
  return codeUnit >= 0xd800 && codeUnit <= 0xdbff;
}
