// Start-up benchmark of the built CLI: `npm run bench`.
//
// Every case runs alternately with a bare `node -e 0`, the floor that no Node CLI can beat, and
// the table reports medians and the median of the per-pair ratios. Alternation and medians keep
// the ratios meaningful on a busy machine, where both runs of a pair see the same load.
//
// Peak RSS is the child's maximum resident set size: GNU time's `%M` (KiB) when /usr/bin/time
// exists, which wraps the floor as well, so both runs of a pair pay for the extra exec. Without
// it, a few untimed extra runs preload a module that reports `process.resourceUsage().maxRSS`.
//
// Options: --pairs N (timed pairs per case, default 21), --warmup N (default 3), --no-write
// (print the table only), --no-build (use dist/ as it is).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'connector.cjs');
const timeBinary = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
// docs/benchmarks.md is written by hand except between these markers.
const resultsStart = '<!-- results: written by scripts/bench.mjs -->';
const resultsEnd = '<!-- end of results -->';

const { values: flags } = parseArgs({
  options: {
    pairs: { type: 'string', default: '21' },
    warmup: { type: 'string', default: '3' },
    'no-write': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
});
const pairs = positiveInteger('--pairs', flags.pairs);
const warmup = positiveInteger('--warmup', flags.warmup);

if (!flags['no-build']) {
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) fail('the build failed; fix it and run the benchmark again');
}

const workspace = mkdtempSync(join(tmpdir(), 'connector-bench-'));
try {
  const fixtures = writeFixtures(workspace);
  const cases = defineCases(fixtures);
  const results = runCases(cases, fixtures);
  const growth = measureGrowth(cases, results, fixtures);
  const report = formatReport(results, growth);
  process.stdout.write(`\n${report.table}\n\n${report.notes.join('\n')}\n`);
  if (!flags['no-write']) {
    writeResults(join(root, 'docs', 'benchmarks.md'), resultsSection(report));
    process.stdout.write('\nwrote docs/benchmarks.md\n');
  }
  if (results.some((result) => result.failure !== undefined)) process.exitCode = 1;
} finally {
  rmSync(workspace, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/** Creates every file the cases read, below `folder`, and returns their paths and environment. */
function writeFixtures(folder) {
  const configDir = join(folder, 'config');
  // A private compile cache (src/cli/compile-cache.ts), filled by the untimed first run of each case.
  const env = {
    ...process.env,
    CONNECTOR_CONFIG_DIR: configDir,
    CONNECTOR_CACHE_DIR: join(folder, 'cache'),
    XDG_CONFIG_HOME: join(folder, 'xdg-config'),
    XDG_DATA_HOME: join(folder, 'xdg-data'),
    NO_COLOR: '1',
  };
  // Flags for another run (an inspector, a loader) would be timed as start-up.
  delete env.NODE_OPTIONS;
  delete env.FORCE_COLOR;
  delete env.NODE_DISABLE_COMPILE_CACHE;

  write(join(folder, 'typical', 'connector.yaml'), typicalConnector({ name: 'Zylker Files', linkName: 'zylker_files' }));
  write(join(folder, 'scopes-10000', 'connector.yaml'), manyScopesConnector(10_000));
  write(join(folder, 'scopes-20000', 'connector.yaml'), manyScopesConnector(20_000));

  for (let index = 1; index <= 500; index++) {
    const number = String(index).padStart(3, '0');
    write(join(folder, 'many', `team-${number}`, 'connector.yaml'), typicalConnector({ name: `Zylker ${number}`, linkName: `zylker_${number}` }));
  }

  const tokenFolder = join(folder, 'token');
  write(join(tokenFolder, 'connector.yaml'), loopbackConnector('bench_token'));
  seedConnection({ configDir, linkName: 'bench_token', connectorFile: join(tokenFolder, 'connector.yaml') });

  const rssModule = join(folder, 'report-rss.mjs');
  write(rssModule, "process.on('exit', () => process.stderr.write(`\\nmaxrss=${process.resourceUsage().maxRSS}\\n`));\n");

  return { folder, env, tokenFolder, rssModule };
}

/** Returns an OAuth 2.0 connector of the usual size: a few parameters and scopes, every optional section. */
function typicalConnector({ name, linkName }) {
  return `# yaml-language-server: $schema=https://connector.invalid/schemas/connector.schema.json
schemaVersion: 1
name: ${name}
linkName: ${linkName}
description: Files and folders in Zylker Drive
stage: draft
baseUrl: https://{subdomain}.zylker.invalid
connectionParameters:
  - { name: Subdomain, key: subdomain }
  - { name: Region, key: region, default: us }
auth:
  type: oauth2
  grantType: authorizationCode
  clientId: "1000.ABCDEF"
  clientSecret: env:ZYLKER_CLIENT_SECRET
  authorizationUrl: https://accounts.zylker.invalid/oauth/v2/auth
  tokenUrl: https://accounts.zylker.invalid/oauth/v2/token
  revokeTokenUrl: https://accounts.zylker.invalid/oauth/v2/revoke
  pkce: true
  authorizationParams: { access_type: offline, region: "{region}" }
scopes:
  delimiter: space
  items:
    - { name: Read files, value: files.read }
    - { name: Write files, value: files.write }
    - { name: Read folders, value: folders.read }
    - { name: Share files, value: files.share }
    - { name: Read profile, value: profile.read }
    - { name: Offline access, value: offline_access }
test:
  method: GET
  url: /v1/me
`;
}

/** Returns a valid connector with `count` scopes, kept under the 1 MiB file limit. */
function manyScopesConnector(count) {
  const lines = [
    'schemaVersion: 1',
    `name: Zylker ${count} scopes`,
    `linkName: zylker_${count}`,
    'stage: draft',
    'auth:',
    '  type: oauth2',
    '  grantType: authorizationCode',
    '  clientId: "1000.ABCDEF"',
    '  authorizationUrl: https://accounts.zylker.invalid/oauth/v2/auth',
    '  tokenUrl: https://accounts.zylker.invalid/oauth/v2/token',
    'scopes:',
    '  delimiter: space',
    '  items:',
  ];
  for (let index = 1; index <= count; index++) lines.push(`    - { name: Scope ${index}, value: s${index}.read }`);
  return `${lines.join('\n')}\n`;
}

/**
 * Returns the connector that `connector token` reads. Its endpoints are loopback addresses on
 * the discard port, so a refresh that should not happen fails on this machine instead of
 * reaching a host.
 */
function loopbackConnector(linkName) {
  return `schemaVersion: 1
name: Bench token
linkName: ${linkName}
stage: ready
auth:
  type: oauth2
  grantType: authorizationCode
  clientId: bench-client
  authorizationUrl: http://127.0.0.1:9/authorize
  tokenUrl: http://127.0.0.1:9/token
`;
}

/**
 * Stores a connection named `default` with an access token that expires in a year, in the
 * formats of src/store/metadata.ts (connections.json) and src/store/file-store.ts
 * (secrets.json). CONNECTOR_CONFIG_DIR makes both files live in `configDir`.
 */
function seedConnection({ configDir, linkName, connectorFile }) {
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  chmodSync(configDir, 0o700);

  const now = new Date();
  const expiresAt = now.getTime() + 365 * 24 * 60 * 60 * 1000;
  const record = {
    connector: linkName,
    name: 'default',
    authType: 'oauth2',
    grantType: 'authorizationCode',
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: new Date(expiresAt).toISOString(),
    store: 'file',
    connectorFile,
  };
  writeFileSync(join(configDir, 'connections.json'), `${JSON.stringify({ version: 1, connections: [record] }, null, 2)}\n`, { mode: 0o600 });

  const credential = { type: 'oauth2', accessToken: 'bench-access-token', tokenType: 'Bearer', expiresAt };
  const services = { [`connector:${linkName}`]: { 'connection:default': JSON.stringify(credential) } };
  writeFileSync(join(configDir, 'secrets.json'), `${JSON.stringify({ version: 1, services }, null, 2)}\n`, { mode: 0o600 });
}

function write(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

// ---------------------------------------------------------------------------------------------
// Cases

/**
 * Lists the measured commands. `requires` names a command that may not exist yet in this build,
 * and the case is then skipped with the reason. `expect` is matched against stdout before the
 * timed runs, so a command that fails fast is not timed as a fast one.
 */
function defineCases({ folder, tokenFolder }) {
  return [
    { id: 'version', label: '`connector --version`', args: ['--version'], cwd: folder, target: 1.25, expect: /^\d+\.\d+\.\d+/ },
    { id: 'help', label: '`connector --help`', args: ['--help'], cwd: folder, target: 1.4, expect: /Usage: connector/ },
    { id: 'validate', label: '`connector validate`, a typical connector', args: ['validate', 'typical/connector.yaml'], cwd: folder, target: 1.35, expect: /valid/ },
    {
      id: 'validate-uncached',
      label: '`connector validate`, a typical connector, without the compile cache',
      args: ['validate', 'typical/connector.yaml'],
      cwd: folder,
      expect: /valid/,
      extraEnv: { NODE_DISABLE_COMPILE_CACHE: '1' },
    },
    {
      id: 'token',
      label: '`connector token`, a valid stored token (file store)',
      args: ['token'],
      cwd: tokenFolder,
      target: 1.5,
      requires: 'token',
      expect: /^bench-access-token$/m,
      extraEnv: { CONNECTOR_INSECURE_STORAGE: '1' },
    },
    { id: 'scopes-10000', label: '`connector validate`, 10,000 scopes', args: ['validate', 'scopes-10000/connector.yaml'], cwd: folder, target: 3.0, rssTargetMiB: 120, expect: /valid/ },
    { id: 'scopes-20000', label: '`connector validate`, 20,000 scopes', args: ['validate', 'scopes-20000/connector.yaml'], cwd: folder, expect: /valid/ },
    { id: 'list', label: '`connector list`, 500 connectors', args: ['list', 'many'], cwd: folder, requires: 'list', expect: /zylker_500/ },
  ];
}

function runCases(cases, fixtures) {
  const floor = { args: ['-e', '0'], cwd: fixtures.folder, env: fixtures.env };
  const results = [];

  for (const benchCase of cases) {
    const command = { args: [bin, ...benchCase.args], cwd: benchCase.cwd, env: { ...fixtures.env, ...benchCase.extraEnv } };
    process.stdout.write(`${benchCase.id}: `);

    const skipped = benchCase.requires === undefined ? undefined : missingCommand(benchCase.requires, command);
    if (skipped !== undefined) {
      process.stdout.write(`skipped, ${skipped}\n`);
      results.push({ ...benchCase, skipped });
      continue;
    }

    const failure = checkOutput(benchCase, runOnce(command));
    if (failure !== undefined) {
      process.stdout.write(`failed, ${failure}\n`);
      results.push({ ...benchCase, failure });
      continue;
    }

    for (let index = 0; index < warmup; index++) {
      runOnce(floor);
      runOnce(command);
    }

    const times = [];
    const floorTimes = [];
    const ratios = [];
    const rssKiB = [];
    for (let index = 0; index < pairs; index++) {
      // Which run goes first alternates, so a trend in the machine's load cancels out.
      const [first, second] = index % 2 === 0 ? [floor, command] : [command, floor];
      const a = runOnce(first);
      const b = runOnce(second);
      const [floorRun, caseRun] = first === floor ? [a, b] : [b, a];
      floorTimes.push(floorRun.ms);
      times.push(caseRun.ms);
      ratios.push(caseRun.ms / floorRun.ms);
      if (caseRun.rssKiB !== undefined) rssKiB.push(caseRun.rssKiB);
    }
    if (timeBinary === undefined) {
      for (let index = 0; index < 3; index++) rssKiB.push(runOnce({ ...command, args: ['--import', pathToFileURL(fixtures.rssModule).href, ...command.args] }).rssKiB);
    }

    const result = { ...benchCase, median: median(times), floorMedian: median(floorTimes), ratio: median(ratios), rssMiB: Math.max(...rssKiB) / 1024 };
    process.stdout.write(`${result.median.toFixed(1)} ms, ${result.ratio.toFixed(2)}x node -e 0\n`);
    results.push(result);
  }
  return results;
}

/**
 * Runs the 10,000- and 20,000-scope cases alternately and returns the median ratio of their
 * times, or undefined when either case did not run. Timing the two against each other, rather
 * than dividing medians taken minutes apart, keeps a change in the machine's load out of it.
 */
function measureGrowth(cases, results, fixtures) {
  const ran = (id) => results.find((result) => result.id === id && result.median !== undefined);
  if (!ran('scopes-10000') || !ran('scopes-20000')) return undefined;

  const commandOf = (id) => {
    const benchCase = cases.find((candidate) => candidate.id === id);
    return { args: [bin, ...benchCase.args], cwd: benchCase.cwd, env: fixtures.env };
  };
  const small = commandOf('scopes-10000');
  const large = commandOf('scopes-20000');
  process.stdout.write('20,000 against 10,000 scopes: ');

  const ratios = [];
  for (let index = 0; index < pairs; index++) {
    const smallFirst = index % 2 === 0;
    const first = runOnce(smallFirst ? small : large);
    const second = runOnce(smallFirst ? large : small);
    ratios.push(smallFirst ? second.ms / first.ms : first.ms / second.ms);
  }
  const growth = median(ratios);
  process.stdout.write(`${growth.toFixed(2)}x\n`);
  return growth;
}

/** Runs the command once; returns its wall time in milliseconds, its peak RSS in KiB and its output. */
function runOnce(command) {
  const nodeArgs = command.args;
  const [file, args] = timeBinary === undefined ? [process.execPath, nodeArgs] : [timeBinary, ['-f', 'maxrss=%M', process.execPath, ...nodeArgs]];

  const start = performance.now();
  const child = spawnSync(file, args, { cwd: command.cwd, env: command.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - start;

  const marker = /\n?maxrss=(\d+)\n?$/.exec(child.stderr);
  const stderr = marker ? child.stderr.slice(0, marker.index) : child.stderr;
  return { ms, rssKiB: marker ? Number(marker[1]) : undefined, status: child.status, stdout: child.stdout, stderr };
}

/** Returns why a case's output is wrong, or undefined when it exited 0 with the expected output. */
function checkOutput(benchCase, run) {
  const firstLine = (text) => text.trim().split('\n')[0] ?? '';
  if (run.status !== 0) return `exit code ${run.status}: ${firstLine(run.stderr) || firstLine(run.stdout)}`;
  if (!benchCase.expect.test(run.stdout)) return `unexpected output: ${firstLine(run.stdout)}`;
  return undefined;
}

/**
 * Returns the reason when this build has no `name` command, or undefined when it has one.
 * The root help lists each command at the start of an indented line. `connector NAME --help`
 * would not do, because commander prints the root help for it when NAME is unknown.
 */
function missingCommand(name, command) {
  const help = runOnce({ ...command, args: [bin, '--help'] });
  if (new RegExp(`^ {2}${name}\\b`, 'm').test(help.stdout)) return undefined;
  return `\`connector ${name}\` does not exist in this build yet`;
}

// ---------------------------------------------------------------------------------------------
// Report

function formatReport(results, growth) {
  const byId = new Map(results.map((result) => [result.id, result]));
  const measured = (id) => {
    const result = byId.get(id);
    return result?.median === undefined ? undefined : result;
  };

  const rows = results.map((result) => {
    if (result.skipped !== undefined) return [result.label, '', '', '', '', `skipped: ${result.skipped}`];
    if (result.failure !== undefined) return [result.label, '', '', '', '', `failed: ${result.failure}`];

    const ratioTarget = result.target === undefined ? '' : `<= ${result.target.toFixed(2)}`;
    const rssTarget = result.rssTargetMiB === undefined ? '' : `RSS <= ${result.rssTargetMiB} MiB`;
    const target = [ratioTarget, rssTarget].filter(Boolean).join(', ');
    const met = (result.target === undefined || result.ratio <= result.target) && (result.rssTargetMiB === undefined || result.rssMiB <= result.rssTargetMiB);
    return [result.label, result.median.toFixed(1), result.floorMedian.toFixed(1), result.ratio.toFixed(2), result.rssMiB.toFixed(1), target === '' ? 'no target' : `${target}: ${met ? 'met' : 'NOT MET'}`];
  });

  const notes = [];
  const small = measured('scopes-10000');
  const large = measured('scopes-20000');
  if (small && large && growth !== undefined) {
    // The floor is in both times; the part above it is what the scopes cost.
    const aboveFloor = (large.median - large.floorMedian) / (small.median - small.floorMedian);
    notes.push(
      `- 20,000 scopes take ${growth.toFixed(2)} times as long as 10,000, timed in alternating pairs (target <= 2.00: ${growth <= 2 ? 'met' : 'NOT MET'}). ` +
        `From the medians above, the time beyond \`node -e 0\` grows ${aboveFloor.toFixed(2)} times.`,
    );
  }
  const list = measured('list');
  const validate = measured('validate');
  if (list && validate) notes.push(`- \`connector list\` over 500 connectors takes ${(list.median / validate.median).toFixed(2)} times as long as \`validate\` of one connector (no target).`);
  for (const result of results) {
    if (result.skipped !== undefined) notes.push(`- ${result.label} was skipped: ${result.skipped}.`);
  }

  const header = ['case', 'median ms', '`node -e 0` ms', 'ratio', 'peak RSS MiB', 'target'];
  const table = [header, header.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');
  return { table, notes };
}

/** Replaces the results between the markers of docs/benchmarks.md, or writes the page when it is missing. */
function writeResults(path, section) {
  const block = `${resultsStart}\n${section}\n${resultsEnd}`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  const start = current?.indexOf(resultsStart) ?? -1;
  const end = current?.indexOf(resultsEnd) ?? -1;
  if (current !== undefined && start !== -1 && end > start) {
    writeFileSync(path, current.slice(0, start) + block + current.slice(end + resultsEnd.length));
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, newPage(block));
}

function resultsSection({ table, notes }) {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const rssMethod = timeBinary
    ? 'GNU time (`/usr/bin/time -f %M`): the child\'s maximum resident set size, the largest over the timed runs'
    : 'a preloaded module that prints `process.resourceUsage().maxRSS` at exit, the largest of 3 untimed extra runs';
  return `Measured on ${new Date().toISOString().slice(0, 10)} with Node ${process.version} on ${platform()} ${release()}, ${cpu} (${cpus().length} cores),
${pairs} timed pairs per case after ${warmup} warm-up pairs. Peak RSS is from ${rssMethod}.

${table}

${notes.join('\n')}`;
}

/** Returns the page for a checkout that has none yet. Later runs replace only the results. */
function newPage(results) {
  return `# Start-up benchmarks

\`connector\` runs in shell loops and editor hooks, so its start-up time is most of its run time.
Each case is compared with \`node -e 0\` on the same machine, the least time any Node program needs.

## Results

${results}

## Method

- \`npm run bench\` (\`scripts/bench.mjs\`) builds the CLI and writes its fixtures to a temporary
  folder, which it deletes afterwards. The fixtures are a typical OAuth 2.0 connector,
  connectors with 10,000 and 20,000 scopes, 500 connectors in separate folders for \`list\`, and
  a stored connection whose access token is valid for a year. The connection is in the plain
  file store (\`CONNECTOR_INSECURE_STORAGE=1\`) under a private \`CONNECTOR_CONFIG_DIR\`, so \`token\`
  neither reads a keychain nor refreshes. The compile cache (\`CONNECTOR_CACHE_DIR\`) is a folder
  of the fixtures too: the first, untimed run of each case writes it, and the uncached case
  sets \`NODE_DISABLE_COMPILE_CACHE=1\`.
- Each case runs as \`node bin/connector.cjs ARGS\`, alternating with \`node -e 0\`; the order
  within a pair alternates too. \`ratio\` is the median of the per-pair ratios, so both runs of a
  pair share the machine's load at that moment. Times are wall-clock, from spawn to exit.
- The 20,000-scope case also runs in alternating pairs with the 10,000-scope case, and the note
  under the table gives the median ratio of the two.
- A case whose command does not exist in the build is skipped with the reason; a case whose
  command fails or prints something unexpected is reported as failed and not timed.

## Reproduce

\`\`\`sh
npm ci
npm run bench                 # builds, measures, rewrites the results above
npm run bench -- --no-write   # prints the table only
npm run bench -- --pairs 41   # more pairs for a noisy machine
\`\`\`

The numbers depend on the machine and its load. Compare ratios, not milliseconds, between
machines, and run again when other processes were busy.
`;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function positiveInteger(flag, text) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) fail(`${flag} must be a whole number of at least 1, got ${JSON.stringify(text)}`);
  return value;
}

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}
