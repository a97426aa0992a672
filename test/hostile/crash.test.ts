/**
 * Kills `connector` and the stores with SIGKILL in the middle of a write, then checks what a
 * user finds. The file must be byte for byte its old or its new version, nothing left behind may
 * block a later run, and that later run must work. Also checks that two edits of one connector
 * file at once never lose the first one.
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { changeConnectorFile } from '../../src/definition/change.js';
import { loadConnectorFile } from '../../src/definition/file.js';
import { writeFileAtomic } from '../../src/store/atomic-write.js';
import { binary, runCli, temporaryFolder } from '../support/cli.js';
import { bundleStoreDriver } from './driver-bundle.js';
import { killMoments, runAndKill, type KillMoment } from './kill.js';
import { oauth2Seed } from './seeds.js';
import { storeWriter, type StoreKind } from './store-steps.js';

/** What a write killed between creating and renaming its temporary file leaves next to the target. */
const temporaryFilePattern = (target: string) => new RegExp(`^\\.${target.replace(/\./g, '\\.')}\\..+\\.tmp$`);

const momentName = (moment: KillMoment) =>
  moment.after === 'spawn' ? `${moment.turns} turns after spawn` : `${moment.turns} turns after file event ${moment.events}`;

let scratch: { path: string; remove: () => void };

beforeAll(() => {
  scratch = temporaryFolder('connector-crash-');
});

afterAll(() => scratch.remove());

/** Creates a project folder with `text` as connector.yaml, and names a config folder outside it. */
function project(name: string, text: string): { folder: string; file: string; env: NodeJS.ProcessEnv } {
  const folder = join(scratch.path, name);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, 'connector.yaml');
  writeFileSync(file, text);
  const env = { PATH: process.env.PATH, HOME: scratch.path, CONNECTOR_CONFIG_DIR: join(scratch.path, `${name}-config`) };
  return { folder, file, env };
}

/** Returns the pid of a child that has exited and been reaped, so no process has it until the system reuses it. */
function exitedProcessId(): number {
  const output = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(output);
}

/** Returns the host part of temporary file names on this machine: eight hex digits of the host name's SHA-256. */
function hostTag(): string {
  return createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
}

const commands: { name: string; args: string[] }[] = [
  { name: 'set', args: ['set', 'description', 'Shared drive files'] },
  { name: 'scopes add', args: ['scopes', 'add', '--value', 'files.delete', '--name', 'Delete files'] },
  { name: 'ready', args: ['ready'] },
];

describe.each(commands)('SIGKILL during connector $name', ({ name, args }) => {
  let newText: string;

  beforeAll(async () => {
    const reference = project(`${name.replace(/ /g, '-')}-reference`, oauth2Seed);
    const run = await runCli(args, { cwd: reference.folder, env: reference.env });
    expect(run.code, run.stderr).toBe(0);
    newText = readFileSync(reference.file, 'utf8');
  });

  test('finished command keeps the comments', () => {
    expect(newText).not.toBe(oauth2Seed);
    expect(newText).toContain('# block style on purpose');
    expect(newText).toContain('# display name');
  });

  test.each(killMoments(12, 4).map((moment, index) => ({ moment, index, label: momentName(moment) })))(
    'kill $label leaves the old or the new file',
    async ({ moment, index }) => {
      const { folder, file, env } = project(`${name.replace(/ /g, '-')}-${index}`, oauth2Seed);

      await runAndKill([binary, ...args], { cwd: folder, env, watchFolder: folder }, moment);

      expect([oauth2Seed, newText]).toContain(readFileSync(file, 'utf8'));
      // A lock left by the killed process is stale; the next edit recovers and removes it.
      const leftovers = readdirSync(folder).filter((entry) => entry !== 'connector.yaml' && !/^\.connector\.yaml\.lock(\.break)?$/.test(entry));
      for (const leftover of leftovers) expect(leftover).toMatch(temporaryFilePattern('connector.yaml'));

      // A later edit must work and clear what the killed one left.
      const loaded = await loadConnectorFile(file, { cwd: folder, stdin: process.stdin });
      await changeConnectorFile(loaded, (editor) => editor.set(['name'], 'Zylker Files Renamed'));

      expect(readdirSync(folder)).toEqual(['connector.yaml']);
      expect(readFileSync(file, 'utf8')).toContain('name: Zylker Files Renamed                 # display name');
    },
  );
});

describe('leftover temporary file', () => {
  test('is ignored by a reader and removed by the next write', async () => {
    const { folder, file, env } = project('leftover', oauth2Seed);
    const deadPid = exitedProcessId();
    const leftover = `.connector.yaml.${hostTag()}.${deadPid}.0123456789ab.tmp`;
    writeFileSync(join(folder, leftover), oauth2Seed.slice(0, 100));

    const validate = await runCli(['validate'], { cwd: folder, env });
    expect(validate.code, validate.stdout).toBe(0);

    const set = await runCli(['set', 'description', 'Shared drive files'], { cwd: folder, env });
    expect(set.code, set.stderr).toBe(0);
    expect(readdirSync(folder)).toEqual(['connector.yaml']);
    expect(readFileSync(file, 'utf8')).toContain('description: Shared drive files');
  });

  test('of a running process or another host is kept', async () => {
    const folder = join(scratch.path, 'leftover-kept');
    mkdirSync(folder);
    const target = join(folder, 'connections.json');
    const tag = hostTag();
    const running = `.connections.json.${tag}.${process.ppid}.0123456789ab.tmp`;
    const otherHost = `.connections.json.00000000.${exitedProcessId()}.0123456789ab.tmp`;
    writeFileSync(join(folder, running), '{');
    writeFileSync(join(folder, otherHost), '{');

    await writeFileAtomic(target, '{}\n');

    expect(readdirSync(folder).sort()).toEqual([otherHost, running, 'connections.json'].sort());
  });
});

describe.each<StoreKind>(['metadata', 'secrets'])('SIGKILL during %s store writes', (kind) => {
  const steps = 30;
  let driver: string;
  /** The file's bytes after each write, index 0 being the state before the first one (no file). */
  let states: (string | undefined)[];

  beforeAll(async () => {
    const bundleFolder = join(scratch.path, `${kind}-driver`);
    mkdirSync(bundleFolder);
    driver = await bundleStoreDriver(bundleFolder);

    const folder = join(scratch.path, `${kind}-reference`);
    const writer = storeWriter(kind, folder);
    states = [undefined];
    for (let step = 1; step <= steps; step++) {
      await writer.write(step);
      states.push(readFileSync(writer.path, 'utf8'));
    }
  });

  test.each(killMoments(14, 120).map((moment, index) => ({ moment, index, label: momentName(moment) })))(
    'kill $label leaves a complete state',
    async ({ moment, index }) => {
      const folder = join(scratch.path, `${kind}-${index}`);
      mkdirSync(folder, { mode: 0o700 });
      const writer = storeWriter(kind, folder);

      await runAndKill([driver, kind, folder, String(steps)], { cwd: scratch.path, env: { PATH: process.env.PATH }, watchFolder: folder }, moment);

      const text = existsSync(writer.path) ? readFileSync(writer.path, 'utf8') : undefined;
      expect(states).toContain(text);
      const fileName = kind === 'metadata' ? 'connections.json' : 'secrets.json';
      for (const entry of readdirSync(folder)) {
        if (entry === fileName || entry === `${fileName}.lock`) continue;
        expect(entry).toMatch(temporaryFilePattern(fileName));
        // A leftover of the secrets file contains secrets, so it must be as private as the file.
        if (process.platform !== 'win32') expect(statSync(join(folder, entry)).mode & 0o777).toBe(0o600);
      }

      // A later write must not wait on the dead process's lock, and must clear its temporary file.
      await writer.write(steps + 1);

      expect(readdirSync(folder)).toEqual([fileName]);
    },
  );
});

describe('lock file left by a killed process', () => {
  test('without its owner is taken over once it is old', async () => {
    const folder = join(scratch.path, 'empty-lock');
    mkdirSync(folder, { mode: 0o700 });
    // What a process killed between creating the lock file and writing its owner leaves.
    const lockPath = join(folder, 'connections.json.lock');
    writeFileSync(lockPath, '');
    const created = new Date(Date.now() - 10_000);
    utimesSync(lockPath, created, created);

    await storeWriter('metadata', folder).write(1);

    expect(readdirSync(folder)).toEqual(['connections.json']);
  });

  test('with the owner of a dead process is taken over at once', async () => {
    const folder = join(scratch.path, 'dead-lock');
    mkdirSync(folder, { mode: 0o700 });
    const owner = { pid: exitedProcessId(), hostname: hostname(), token: '0123456789abcdef', acquiredAt: Date.now() };
    writeFileSync(join(folder, 'secrets.json.lock'), JSON.stringify(owner));

    await storeWriter('secrets', folder).write(1);

    expect(readdirSync(folder)).toEqual(['secrets.json']);
  });
});

describe('two edits of one connector file at once', () => {
  test('later save rejects a concurrent edit', async () => {
    const { folder, file, env } = project('race-process', oauth2Seed);
    const loaded = await loadConnectorFile(file, { cwd: folder, stdin: process.stdin });

    const edit = changeConnectorFile(loaded, (editor) => {
      // Between this command's read and its write, another connector process edits the file.
      execFileSync(process.execPath, [binary, 'set', 'description', 'Edited by the other command'], { cwd: folder, env, stdio: 'ignore' });
      editor.set(['name'], 'Zylker Files Renamed');
    });

    await expect(edit).rejects.toThrow(/changed while this command ran; nothing was written/);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('description: Edited by the other command');
    expect(text).toContain('name: Zylker Files                 # display name');
  });

  test('later save rejects any changed byte', async () => {
    const { folder, file } = project('race-bytes', oauth2Seed);
    const loaded = await loadConnectorFile(file, { cwd: folder, stdin: process.stdin });
    // Only the line ending of the last line differs, which a text comparison could miss.
    const other = oauth2Seed.replace(/\n$/, '\r\n');

    const edit = changeConnectorFile(loaded, (editor) => {
      writeFileSync(file, other);
      editor.set(['description'], 'Shared drive files');
    });

    await expect(edit).rejects.toThrow(/changed while this command ran/);
    expect(readFileSync(file, 'utf8')).toBe(other);
  });

  test('later save rejects a deleted file', async () => {
    const { folder, file } = project('race-deleted', oauth2Seed);
    const loaded = await loadConnectorFile(file, { cwd: folder, stdin: process.stdin });

    const edit = changeConnectorFile(loaded, (editor) => {
      unlinkSync(file);
      editor.set(['description'], 'Shared drive files');
    });

    await expect(edit).rejects.toThrow(/cannot read .* again before writing/);
    expect(existsSync(file)).toBe(false);
  });
});
