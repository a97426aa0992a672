import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';

import type { Diagnostic } from './diagnostics.js';
import { checkRedirectUri, checkUrl, placeholdersIn } from './urls.js';

/** A connector logo is shown in lists; a larger file is a mistake. */
export const MAX_LOGO_BYTES = 1024 * 1024;

export interface SemanticProblem {
  path: (string | number)[];
  message: string;
  severity: 'error' | 'warning';
  /** Point at the key rather than the value (for a value that should not be there at all). */
  atKey?: boolean;
}

type Json = Record<string, unknown>;

const URL_EXAMPLES: Record<string, string> = {
  baseUrl: 'https://api.example.com',
  authorizationUrl: 'https://accounts.example.com/oauth/authorize',
  deviceAuthorizationUrl: 'https://accounts.example.com/oauth/device/code',
  tokenUrl: 'https://accounts.example.com/oauth/token',
  refreshTokenUrl: 'https://accounts.example.com/oauth/token',
  revokeTokenUrl: 'https://accounts.example.com/oauth/revoke',
  requestTokenUrl: 'https://api.example.com/oauth/request_token',
  accessTokenUrl: 'https://api.example.com/oauth/access_token',
};

/**
 * Checks what the schema cannot express: URL rules, duplicates, placeholders, scopes on the
 * wrong auth type, the logo file and literal secrets. Runs on a value that may still have
 * schema errors, so every access is defensive.
 */
export async function semanticProblems(value: unknown, baseDir: string): Promise<SemanticProblem[]> {
  const problems: SemanticProblem[] = [];
  if (!isObject(value)) return problems;
  const auth = isObject(value.auth) ? value.auth : undefined;

  checkUrls(value, auth, problems);
  checkDuplicates(value, auth, problems);
  checkPlaceholders(value, auth, problems);
  checkSecrets(auth, problems);

  if (value.scopes !== undefined && auth && auth.type !== 'oauth2') {
    problems.push({
      path: ['scopes'],
      message: `scopes apply only to OAuth 2.0 connectors, but auth.type is ${String(auth.type)}; remove the scopes section`,
      severity: 'error',
      atKey: true,
    });
  }

  if (typeof value.logo === 'string' && value.logo !== '') {
    const problem = await checkLogo(value.logo, baseDir);
    if (problem) problems.push({ path: ['logo'], message: problem, severity: 'error' });
  }
  return problems;
}

function checkUrls(value: Json, auth: Json | undefined, problems: SemanticProblem[]): void {
  if (typeof value.baseUrl === 'string') {
    const problem = checkUrl('baseUrl', value.baseUrl, URL_EXAMPLES.baseUrl!);
    if (problem) problems.push({ path: ['baseUrl'], message: problem, severity: 'error' });
  }
  if (auth) {
    for (const [key, example] of Object.entries(URL_EXAMPLES)) {
      const url = auth[key];
      if (key === 'baseUrl' || typeof url !== 'string') continue;
      const problem = checkUrl(`auth.${key}`, url, example);
      if (problem) problems.push({ path: ['auth', key], message: problem, severity: 'error' });
    }
    if (typeof auth.redirectUri === 'string') {
      const problem = checkRedirectUri('auth.redirectUri', auth.redirectUri);
      if (problem) problems.push({ path: ['auth', 'redirectUri'], message: problem, severity: 'error' });
    }
  }
  const test = isObject(value.test) ? value.test : undefined;
  if (test && typeof test.url === 'string' && !test.url.startsWith('/')) {
    const problem = checkUrl('test.url', test.url, 'https://api.example.com/v1/me');
    if (problem) problems.push({ path: ['test', 'url'], message: `${problem} (or a path such as /v1/me, resolved against baseUrl)`, severity: 'error' });
  }
  if (test && typeof test.url === 'string' && test.url.startsWith('/') && typeof value.baseUrl !== 'string') {
    problems.push({
      path: ['test', 'url'],
      message: 'test.url is a relative path, but the connector has no baseUrl to resolve it against; add baseUrl or write a full URL',
      severity: 'error',
    });
  }
}

function checkDuplicates(value: Json, auth: Json | undefined, problems: SemanticProblem[]): void {
  const scopes = isObject(value.scopes) && Array.isArray(value.scopes.items) ? value.scopes.items : [];
  reportDuplicates(scopes, 'value', ['scopes', 'items'], 'scope value', problems);

  const parameters = Array.isArray(value.connectionParameters) ? value.connectionParameters : [];
  reportDuplicates(parameters, 'key', ['connectionParameters'], 'connection parameter key', problems);

  if (auth?.type === 'apiKey' && Array.isArray(auth.parameters)) {
    reportDuplicates(auth.parameters, 'key', ['auth', 'parameters'], 'API key parameter key', problems);
  }
  if (auth?.type === 'basic' && isObject(auth.username) && isObject(auth.password) && auth.username.key === auth.password.key && typeof auth.username.key === 'string') {
    problems.push({
      path: ['auth', 'password', 'key'],
      message: `auth.password.key repeats auth.username.key (${JSON.stringify(auth.username.key)}); give each its own key`,
      severity: 'error',
    });
  }
}

function reportDuplicates(items: unknown[], field: string, path: (string | number)[], what: string, problems: SemanticProblem[]): void {
  const firstIndex = new Map<string, number>();
  items.forEach((item, index) => {
    if (!isObject(item) || typeof item[field] !== 'string') return;
    const key = item[field] as string;
    const first = firstIndex.get(key);
    if (first === undefined) {
      firstIndex.set(key, index);
      return;
    }
    problems.push({
      path: [...path, index, field],
      message: `duplicate ${what} ${JSON.stringify(key)} (also at item ${first + 1} of ${path.join('.')}); keep one`,
      severity: 'error',
    });
  });
}

function checkPlaceholders(value: Json, auth: Json | undefined, problems: SemanticProblem[]): void {
  const declared = new Set(
    (Array.isArray(value.connectionParameters) ? value.connectionParameters : [])
      .map((parameter) => (isObject(parameter) ? parameter.key : undefined))
      .filter((key): key is string => typeof key === 'string'),
  );
  const fields: [(string | number)[], unknown][] = [[['baseUrl'], value.baseUrl]];
  if (auth) {
    for (const key of [...Object.keys(URL_EXAMPLES), 'redirectUri']) fields.push([['auth', key], auth[key]]);
    for (const group of ['authorizationParams', 'tokenParams']) {
      const params = auth[group];
      if (isObject(params)) for (const [key, param] of Object.entries(params)) fields.push([['auth', group, key], param]);
    }
  }
  if (isObject(value.test)) fields.push([['test', 'url'], value.test.url]);

  // Built once: a file with thousands of parameters and placeholders would otherwise join the
  // whole list again for each problem.
  const list = declared.size > 0 ? `declared: ${[...declared].join(', ')}` : 'none are declared';
  for (const [path, text] of fields) {
    if (typeof text !== 'string') continue;
    for (const name of placeholdersIn(text)) {
      if (declared.has(name)) continue;
      problems.push({
        path,
        message: `${path.join('.')} uses the placeholder {${name}}, but no connection parameter has the key ${JSON.stringify(name)} (${list}); add it under connectionParameters`,
        severity: 'error',
      });
    }
  }
}

function checkSecrets(auth: Json | undefined, problems: SemanticProblem[]): void {
  if (!auth) return;
  for (const key of ['clientSecret', 'consumerSecret']) {
    const secret = auth[key];
    if (typeof secret !== 'string' || secret === '') continue;
    if (secret === 'keychain') continue;
    if (secret.startsWith('env:')) {
      if (!/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(secret)) {
        problems.push({ path: ['auth', key], message: `auth.${key} names an invalid environment variable (${JSON.stringify(secret)}); write env:NAME with letters, digits and _`, severity: 'error' });
      }
      continue;
    }
    if (secret.startsWith('file:') && key === 'consumerSecret' && auth.signatureMethod === 'RSA-SHA1') continue;
    if (secret.startsWith('file:')) {
      problems.push({
        path: ['auth', key],
        message: `auth.${key} is a file: reference, which only an OAuth 1.0a connector with signatureMethod RSA-SHA1 uses (for its private key); write keychain or env:NAME`,
        severity: 'error',
      });
      continue;
    }
    problems.push({
      path: ['auth', key],
      message: `auth.${key} holds a literal secret, and this file is meant to be committed; run \`connector secret set ${key}\` and write keychain, or use env:NAME`,
      severity: 'warning',
    });
  }
}

async function checkLogo(logo: string, baseDir: string): Promise<string | undefined> {
  const path = isAbsolute(logo) ? logo : resolve(baseDir, logo);
  if (!existsSync(path)) return `logo file not found: ${logo} (looked in ${path}); paths are relative to the connector file`;

  const info = await stat(path);
  if (!info.isFile()) return `logo must be a file, but ${logo} is not`;
  if (info.size > MAX_LOGO_BYTES) return `logo ${logo} is ${info.size} bytes, over the 1 MiB limit; use a smaller image`;

  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (imageType(head.subarray(0, bytesRead)) === undefined) {
      return `logo ${logo} is not a PNG, JPEG, GIF or SVG image`;
    }
  } finally {
    await handle.close();
  }
  return undefined;
}

/** Recognizes the allowed logo formats by their first bytes, not by the file name. */
export function imageType(head: Uint8Array): 'png' | 'jpeg' | 'gif' | 'svg' | undefined {
  const bytes = Buffer.from(head);
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.subarray(0, 6).toString('latin1') === 'GIF87a' || bytes.subarray(0, 6).toString('latin1') === 'GIF89a') return 'gif';
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(text)) return 'svg';
  return undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
