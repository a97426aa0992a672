import { readFile, stat } from 'node:fs/promises';

import { InvalidFileError, UsageError } from '../cli/errors.js';

/** Connector files are small; anything larger is refused before parsing. */
export const MAX_FILE_BYTES = 1024 * 1024;

/** A connector file as read from disk or stdin, with what a rewrite must keep. */
export interface SourceFile {
  /** The absolute path, or undefined for stdin. */
  path: string | undefined;
  /** Name shown in messages: the path as given, or `-`. */
  label: string;
  /** The decoded text without a byte order mark. */
  text: string;
  bom: boolean;
  /** The line ending the file uses; new lines follow it. */
  eol: '\n' | '\r\n';
}

export type SourceProblem = { message: string; line: number; column: number };

/** Decodes file bytes, or explains why they cannot be a connector file. */
export function decodeSource(bytes: Uint8Array, path: string | undefined, label: string): SourceFile | SourceProblem {
  if (bytes.byteLength > MAX_FILE_BYTES) {
    return {
      message: `the file is ${bytes.byteLength} bytes, over the 1 MiB (${MAX_FILE_BYTES} bytes) limit for connector files`,
      line: 0,
      column: 0,
    };
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8Offset(bytes);
    const before = Buffer.from(bytes.subarray(0, offset)).toString('utf8');
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    const byte = bytes[offset];
    const what = byte === undefined ? 'it ends inside a character' : `byte 0x${byte.toString(16).padStart(2, '0')} at offset ${offset}`;
    return {
      message: `the file is not valid UTF-8 (${what}); save it as UTF-8`,
      line,
      column,
    };
  }

  // TextDecoder drops a leading BOM by default, so look at the bytes.
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const firstNewline = text.indexOf('\n');
  const eol = firstNewline > 0 && text[firstNewline - 1] === '\r' ? '\r\n' : '\n';
  return { path, label, text, bom, eol };
}

export function isSourceProblem(value: SourceFile | SourceProblem): value is SourceProblem {
  return 'message' in value && !('text' in value);
}

/** Reads a connector file from disk; a missing file or a folder is a usage error with the fix. */
export async function readSourceBytes(path: string, label: string): Promise<Uint8Array> {
  let size: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) {
      throw new UsageError(`${label} is a folder, not a connector file`, {
        hint: `pass the file inside it, for example ${label.replace(/\/$/, '')}/connector.yaml`,
      });
    }
    // A device or a FIFO reports no size and may never end, so the size limit could not hold.
    if (!info.isFile()) {
      throw new UsageError(`${label} is not a regular file`, { hint: 'pass a connector file, or - to read one from stdin' });
    }
    size = info.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (isNodeError(error) && error.code === 'ENOENT') {
      throw new UsageError(`connector file not found: ${label}`, {
        hint: 'create one with `connector init`, or pass another file with -f/--file',
      });
    }
    throw new UsageError(`cannot read ${label}: ${(error as Error).message}`);
  }

  if (size > MAX_FILE_BYTES) {
    throw new InvalidFileError(
      `${label}: the file is ${size} bytes, over the 1 MiB (${MAX_FILE_BYTES} bytes) limit for connector files`,
    );
  }
  return readFile(path);
}

/** Reads stdin to the end, stopping early once the size limit is passed. */
export async function readStdinBytes(stdin: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    total += buffer.byteLength;
    chunks.push(buffer);
    if (total > MAX_FILE_BYTES) break;
  }
  return Buffer.concat(chunks);
}

function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let low = 0;
  let high = bytes.byteLength;
  // Binary search for the shortest prefix that fails to decode. Streaming mode accepts a
  // prefix that ends inside a valid multi-byte sequence, so only a wrong byte fails.
  while (low < high) {
    const middle = (low + high) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, middle + 1), { stream: true });
      low = middle + 1;
    } catch {
      high = middle;
    }
  }
  // A wrong byte right after a lead byte is reported at the lead byte, where the bad character starts.
  let offset = low;
  while (offset > 0 && low - offset < 3 && ((bytes[offset - 1] ?? 0) & 0xc0) === 0x80) offset--;
  if (offset > 0 && (bytes[offset - 1] ?? 0) >= 0xc0) offset--;
  return offset;
}

export function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}
