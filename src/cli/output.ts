import type { Io } from './deps.js';
import { printable } from '../printable.js';

export interface Style {
  error(text: string): string;
  warning(text: string): string;
  success(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const plain: Style = {
  error: (text) => text,
  warning: (text) => text,
  success: (text) => text,
  dim: (text) => text,
  bold: (text) => text,
};

let colorStyle: Style | undefined;

/**
 * Loads chalk for the styles. `main` calls this only when colour can be on (a terminal, no
 * NO_COLOR or --no-color), so scripts and pipes never load it.
 */
export async function loadColorStyle(): Promise<void> {
  const { Chalk } = await import('chalk');
  // Level 1 is the 16 basic colours; whether to colour at all was decided by colorEnabled.
  const chalk = new Chalk({ level: 1 });
  colorStyle = { error: chalk.red, warning: chalk.yellow, success: chalk.green, dim: chalk.dim, bold: chalk.bold };
}

export function styleFor(io: Pick<Io, 'color'>): Style {
  return io.color && colorStyle !== undefined ? colorStyle : plain;
}

/** Returns whether colour is allowed: not under NO_COLOR (any value) or --no-color, and only on a terminal unless FORCE_COLOR is set. */
export function colorEnabled(env: NodeJS.ProcessEnv, flag: boolean, isTTY: boolean | undefined): boolean {
  if (!flag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return isTTY === true;
}

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(io: Io, line = ''): void {
  io.stdout.write(`${line}\n`);
}

/** Writes a status line to stderr, where everything that is not the result goes. */
export function note(io: Io, line: string): void {
  io.stderr.write(`${line}\n`);
}

/** Formats rows as left-aligned columns under a header, for terminal tables. */
export function table(header: string[], rawRows: string[][]): string {
  const rows = rawRows.map((row) => row.map(printable));
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const format = (row: string[]) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)].join('\n');
}
