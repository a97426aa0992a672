/**
 * Fuzzes the connector file loader with mutated valid files. In-process runs check many cases
 * against `decodeSource` and `validateSource`; a smaller sample goes through the built binary.
 * The seeds are fixed, so a failure reproduces: fast-check prints the case and its seed.
 */

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { Diagnostic } from '../../src/definition/diagnostics.js';
import { decodeSource, isSourceProblem } from '../../src/definition/source.js';
import { validateSource } from '../../src/definition/validate.js';
import { binary, temporaryFolder } from '../support/cli.js';
import { applyByteMutations, applyYamlMutations, byteCase, yamlCase } from './mutations.js';
import { seeds } from './seeds.js';

/** Fixed so runs reproduce; set CONNECTOR_FUZZ_SEED to explore other cases locally. */
const fuzzSeed = Number(process.env.CONNECTOR_FUZZ_SEED ?? 20_240_611);
/** CPU time that checking one file may take, in milliseconds. */
const cpuLimitMs = 1000;

/** A line printed by a JavaScript stack trace: indentation, then `at `. */
const stackLine = /^\s+at\s/m;

/** Problems that concern the whole file and so have no line: size, emptiness, alias expansion. */
const fileLevelMessages = [/over the 1 MiB/, /the file is empty/, /holds no YAML document/, /too many aliases/];

let folder: { path: string; remove: () => void };

beforeAll(() => {
  folder = temporaryFolder('connector-fuzz-');
});

afterAll(() => folder.remove());

/**
 * Decodes and validates `bytes` as a file in the test folder. Returns the diagnostics, the
 * decoded text and the CPU time it took, which stays near the work done when other processes
 * load the machine, where wall-clock time does not.
 */
async function check(bytes: Uint8Array): Promise<{ diagnostics: Diagnostic[]; text: string | undefined; cpuMs: number }> {
  const started = process.cpuUsage();
  const cpuMs = () => {
    const { user, system } = process.cpuUsage(started);
    return (user + system) / 1000;
  };

  const decoded = decodeSource(bytes, join(folder.path, 'connector.yaml'), 'connector.yaml');
  if (isSourceProblem(decoded)) {
    const diagnostic: Diagnostic = { ...decoded, path: '', severity: 'error' };
    return { diagnostics: [diagnostic], text: undefined, cpuMs: cpuMs() };
  }

  const result = await validateSource(decoded, { baseDir: folder.path });
  return { diagnostics: result.diagnostics, text: decoded.text, cpuMs: cpuMs() };
}

/**
 * Returns what is wrong with the diagnostics of `text`, one line per fault, so a single
 * assertion shows them all. Lines count by \n alone, as the YAML library counts them, and a
 * column may point just past a line's last character.
 */
function malformed(diagnostics: readonly Diagnostic[], text: string | undefined): string[] {
  const lineLengths = text?.split('\n').map((line) => line.length);
  const faults: string[] = [];
  const fault = (diagnostic: Diagnostic, problem: string) => faults.push(`${problem}: ${JSON.stringify(diagnostic).slice(0, 300)}`);

  for (const diagnostic of diagnostics) {
    const { line, column, message } = diagnostic;
    if (message === '') fault(diagnostic, 'empty message');
    if (stackLine.test(message)) fault(diagnostic, 'stack trace in message');
    if (!Number.isInteger(line) || !Number.isInteger(column) || line < 0 || column < 0) fault(diagnostic, 'position is not a natural number');

    if (line === 0) {
      if (column !== 0) fault(diagnostic, 'column without a line');
      if (diagnostic.path !== '') fault(diagnostic, 'field problem without a position');
      if (!fileLevelMessages.some((pattern) => pattern.test(message))) fault(diagnostic, 'problem without a position');
      continue;
    }

    if (column < 1) fault(diagnostic, 'line without a column');
    if (lineLengths === undefined) continue;
    if (line > lineLengths.length) fault(diagnostic, `line past the end (${lineLengths.length} lines)`);
    else if (column > (lineLengths[line - 1] ?? 0) + 1) fault(diagnostic, `column past the end of line ${line}`);
  }
  return faults;
}

describe('fuzzed connector files in process', () => {
  test.each(Object.entries(seeds))('seed %s is valid', async (_name, seed) => {
    const { diagnostics } = await check(Buffer.from(seed));

    expect(diagnostics.filter((diagnostic) => diagnostic.severity === 'error')).toEqual([]);
  });

  test('byte mutations give positioned diagnostics', async () => {
    await fc.assert(
      fc.asyncProperty(byteCase, async ({ seed, mutations }) => {
        const { diagnostics, text, cpuMs } = await check(applyByteMutations(seed, mutations));

        expect(malformed(diagnostics, text)).toEqual([]);
        expect(cpuMs).toBeLessThan(cpuLimitMs);
      }),
      { seed: fuzzSeed, numRuns: 600 },
    );
  });

  test('YAML mutations give positioned diagnostics', async () => {
    await fc.assert(
      fc.asyncProperty(yamlCase, async ({ seed, mutations }) => {
        const { diagnostics, text, cpuMs } = await check(Buffer.from(applyYamlMutations(seed, mutations)));

        expect(malformed(diagnostics, text)).toEqual([]);
        expect(cpuMs).toBeLessThan(cpuLimitMs);
      }),
      { seed: fuzzSeed, numRuns: 400 },
    );
  });

  test('invalid UTF-8 is reported at its line and column', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.values(seeds)), fc.nat(), async (seed, at) => {
        const bytes = Buffer.from(seed);
        const offset = at % (bytes.length + 1);
        const mutated = Buffer.concat([bytes.subarray(0, offset), Buffer.of(0xff), bytes.subarray(offset)]);
        const before = bytes.subarray(0, offset).toString('utf8');

        const { diagnostics } = await check(mutated);

        expect(diagnostics).toHaveLength(1);
        expect(diagnostics[0]?.message).toMatch(/not valid UTF-8/);
        expect(diagnostics[0]?.line).toBe(before.split('\n').length);
        expect(diagnostics[0]?.column).toBe(before.length - before.lastIndexOf('\n'));
      }),
      { seed: fuzzSeed, numRuns: 100 },
    );
  });

  test('CRLF line endings and a byte order mark keep a file valid', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.values(seeds)), fc.boolean(), fc.boolean(), async (seed, crlf, bom) => {
        const text = crlf ? seed.replace(/\n/g, '\r\n') : seed;
        const bytes = Buffer.from(bom ? `\uFEFF${text}` : text);

        const { diagnostics } = await check(bytes);

        expect(diagnostics.filter((diagnostic) => diagnostic.severity === 'error')).toEqual([]);
      }),
      { seed: fuzzSeed, numRuns: 20 },
    );
  });
});

/** `prefix`, then `line(0)`, `line(1)`, ... until the text reaches `size` characters, then `suffix`. */
function repeatLines(prefix: string, line: (index: number) => string, size: number, suffix = ''): string {
  const parts = [prefix];
  let length = prefix.length + suffix.length;
  for (let index = 0; length < size; index++) {
    const next = line(index);
    parts.push(next);
    length += next.length;
  }
  parts.push(suffix);
  return parts.join('');
}

/**
 * Files that repeat one hostile line, so they have thousands of problems. Work per problem that
 * grows with the file, such as a scan to place it or to quote its line, makes the check
 * quadratic. At 64 KiB that already takes seconds, where linear work takes a fraction of one.
 */
const floodSize = 64 * 1024;
const floods: Record<string, string> = {
  'unknown keys': repeatLines(seeds.oauth2!, (index) => `extra${index}: value\n`, floodSize),
  'duplicate keys': repeatLines(`${seeds.oauth2!}extra:\n`, () => '  same: value\n', floodSize),
  'stray commas': repeatLines(`${seeds.oauth2!}extra: [`, () => ',', floodSize, ']\n'),
  'repeated anchors': repeatLines(`${seeds.oauth2!}extra: `, () => '&anchor ', floodSize, 'value\n'),
  'invalid scopes': repeatLines(seeds.oauth2!.replace(/test:[\s\S]*$/, ''), () => '    - { name: 1, value: 2 }\n', floodSize),
};

describe('files of one hostile line repeated to 64 KiB', () => {
  test.each(Object.entries(floods))('%s give positioned diagnostics within a second', async (_name, text) => {
    const { diagnostics, cpuMs } = await check(Buffer.from(text));

    expect(diagnostics.length).toBeGreaterThan(1000);
    expect(malformed(diagnostics, text)).toEqual([]);
    expect(cpuMs).toBeLessThan(cpuLimitMs);
  });
});

interface BinaryRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** User and system CPU time of the child, which stays near its own work when other processes load the machine. */
  cpuMs: number;
  elapsedMs: number;
}

/**
 * A module that `node --import` loads before the CLI, and that writes the process's CPU time to
 * the file named by CPU_REPORT_FILE when the process exits. It leaves the CLI itself untouched.
 */
const cpuReporter = `import { writeFileSync } from 'node:fs';
process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  writeFileSync(process.env.CPU_REPORT_FILE, String((user + system) / 1000));
});
`;

/** Wall-clock time a run may take on a loaded machine before it counts as hanging. */
const hangLimitMs = 10_000;

function runBinary(args: string[], cwd: string): Promise<BinaryRun> {
  const reporter = join(cwd, 'cpu-reporter.mjs');
  const report = join(cwd, `cpu-${randomUUID()}.txt`);
  writeFileSync(reporter, cpuReporter);

  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', pathToFileURL(reporter).href, binary, ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: cwd, CONNECTOR_CONFIG_DIR: join(cwd, '.connector-config'), CPU_REPORT_FILE: report },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const cpuMs = Number(readFileSync(report, 'utf8'));
      resolve({ code, stdout, stderr, cpuMs, elapsedMs: performance.now() - started });
    });
  });
}

describe('fuzzed connector files through the binary', () => {
  const byteSample = fc.sample(byteCase, { seed: fuzzSeed, numRuns: 15 }).map(({ seed, mutations }) => applyByteMutations(seed, mutations));
  const yamlSample = fc.sample(yamlCase, { seed: fuzzSeed, numRuns: 15 }).map(({ seed, mutations }) => Buffer.from(applyYamlMutations(seed, mutations)));
  const sample = [...byteSample, ...yamlSample].map((bytes, index) => ({ index, bytes }));

  test.each(sample)('validate exits 0 or 3 on case $index', async ({ index, bytes }) => {
    const name = `case-${index}.yaml`;
    writeFileSync(join(folder.path, name), bytes);
    // Every other case runs with --json, whose output must then be the only thing on stdout.
    const json = index % 2 === 1;

    const run = await runBinary(['validate', name, ...(json ? ['--json'] : [])], folder.path);

    expect([0, 3]).toContain(run.code);
    expect(run.stdout).not.toMatch(stackLine);
    expect(run.stderr).not.toMatch(stackLine);
    expect(run.stderr).not.toMatch(/unexpected failure|Warning:/);
    if (json) expect(() => JSON.parse(run.stdout)).not.toThrow();
    expect(run.cpuMs).toBeLessThan(cpuLimitMs);
    expect(run.elapsedMs).toBeLessThan(hangLimitMs);
  });

  // `ready` also edits the file, so it meets the broken YAML in the editor as well.
  test.each(sample.filter(({ index }) => index % 3 === 0))('ready exits 0, 2 or 3 on case $index', async ({ index, bytes }) => {
    const name = `ready-${index}.yaml`;
    writeFileSync(join(folder.path, name), bytes);

    const run = await runBinary(['ready', '-f', name], folder.path);

    expect([0, 2, 3]).toContain(run.code);
    expect(run.stdout).not.toMatch(stackLine);
    expect(run.stderr).not.toMatch(stackLine);
    expect(run.stderr).not.toMatch(/unexpected failure|Warning:/);
    expect(run.cpuMs).toBeLessThan(cpuLimitMs);
    expect(run.elapsedMs).toBeLessThan(hangLimitMs);
  });
});
