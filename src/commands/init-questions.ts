import { existsSync, statSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

import type { Prompter } from '../cli/deps.js';
import { deriveLinkName, freeLinkName, LINK_NAME_PATTERN } from '../definition/link-name.js';
import { imageType, MAX_LOGO_BYTES } from '../definition/semantic.js';
import { checkUrl } from '../definition/urls.js';

/** Values the three builder steps collect. Secrets are kept apart so they never reach the file. */
export interface Answers {
  name?: string;
  linkName?: string;
  description?: string;
  logo?: string;
  baseUrl?: string;
  auth: Record<string, unknown>;
  scopes?: { name: string; value: string }[];
  scopeDelimiter?: string;
  /** Typed secrets by field (clientSecret, consumerSecret), bound for the keychain. */
  secrets: Record<string, string>;
}

const required = (label: string) => (value: string) => (value.trim() === '' ? `${label} is required` : true);

export function validateName(value: string): true | string {
  const length = [...value.trim()].length;
  if (length === 0) return 'the name is required';
  if (length > 50) return `the name must be at most 50 characters (it has ${length})`;
  return true;
}

export function validateLinkName(value: string): true | string {
  return LINK_NAME_PATTERN.test(value) ? true : 'a link name starts with a lower-case letter and uses only a-z, 0-9 and _ (at most 50)';
}

export function validateLogo(value: string, folder: string): true | string {
  if (value.trim() === '') return true;
  const path = isAbsolute(value) ? value : resolve(folder, value);
  if (!existsSync(path) || !statSync(path).isFile()) return `no file at ${path}`;
  if (statSync(path).size > MAX_LOGO_BYTES) return 'the logo is over the 1 MiB limit';
  if (imageType(readFileSync(path).subarray(0, 512)) === undefined) return 'the logo must be a PNG, JPEG, GIF or SVG image';
  return true;
}

const url = (field: string, example: string, optional = false) => (value: string) => {
  if (value.trim() === '') return optional ? true : `${field} is required`;
  return checkUrl(field, value.trim(), example) ?? true;
};

/**
 * Step 1, General: name, link name (proposed from the name), description, logo.
 * `linkNamesInUse` maps the link names other connector files use to those files: the proposed
 * link name avoids them and a typed one that is taken is rejected.
 */
export async function askGeneral(prompter: Prompter, answers: Answers, folder: string, linkNamesInUse: ReadonlyMap<string, string> = new Map()): Promise<void> {
  answers.name ??= (await prompter.input({ message: 'Name', validate: validateName })).trim();
  const validateFreeLinkName = (value: string) => {
    const owner = linkNamesInUse.get(value);
    return owner === undefined ? validateLinkName(value) : `${value} is already the link name of ${owner}; choose another`;
  };
  answers.linkName ??= (
    await prompter.input({ message: 'Link name', default: freeLinkName(deriveLinkName(answers.name), linkNamesInUse), validate: validateFreeLinkName })
  ).trim();
  answers.description ??= (await prompter.input({ message: 'Description (optional)', validate: (value) => (value.length > 255 ? 'at most 255 characters' : true) })).trim();
  answers.logo ??= (await prompter.input({ message: 'Logo file (optional; PNG, JPEG, GIF or SVG)', validate: (value) => validateLogo(value, folder) })).trim();
}

/** Step 2, Security: the auth type, then that type's fields; secrets are typed masked. */
export async function askSecurity(prompter: Prompter, answers: Answers): Promise<void> {
  const auth = answers.auth;
  auth.type ??= await prompter.select({
    message: 'Auth type',
    choices: [
      { name: 'OAuth 2.0', value: 'oauth2' },
      { name: 'OAuth 1.0a', value: 'oauth1' },
      { name: 'API key', value: 'apiKey' },
      { name: 'Basic', value: 'basic' },
    ],
    default: 'oauth2',
  });

  switch (auth.type) {
    case 'basic':
      auth.username ??= { name: await prompter.input({ message: 'Prompt for the user name', default: 'User name' }), key: 'username' };
      auth.password ??= { name: await prompter.input({ message: 'Prompt for the password', default: 'Password' }), key: 'password' };
      return;
    case 'apiKey':
      return askApiKey(prompter, auth);
    case 'oauth1':
      return askOAuth1(prompter, answers);
    default:
      return askOAuth2(prompter, answers);
  }
}

async function askApiKey(prompter: Prompter, auth: Record<string, unknown>): Promise<void> {
  auth.location ??= await prompter.select({
    message: 'Where is the key sent?',
    choices: [
      { name: 'Header', value: 'header' },
      { name: 'Query string', value: 'query' },
      { name: 'Form body', value: 'form' },
    ],
    default: 'header',
  });
  if (Array.isArray(auth.parameters) && auth.parameters.length > 0) return;

  const parameters: Record<string, string>[] = [];
  do {
    const key = (await prompter.input({ message: 'Parameter key (header, query or form name)', default: parameters.length === 0 ? 'X-Api-Key' : undefined, validate: required('the key') })).trim();
    const name = (await prompter.input({ message: 'Prompt shown when connecting', default: 'API key' })).trim();
    const prefix = await prompter.input({ message: 'Value prefix (optional, e.g. "Bearer ")' });
    parameters.push(prefix === '' ? { name, key } : { name, key, prefix });
  } while (await prompter.confirm({ message: 'Add another parameter?', default: false }));
  auth.parameters = parameters;
}

async function askOAuth1(prompter: Prompter, answers: Answers): Promise<void> {
  const auth = answers.auth;
  auth.consumerKey ??= (await prompter.input({ message: 'Consumer key', validate: required('the consumer key') })).trim();
  if (auth.consumerSecret === undefined) {
    const secret = await prompter.password({ message: 'Consumer secret (typed masked; kept in the keychain)', validate: required('the consumer secret') });
    answers.secrets.consumerSecret = secret;
  }
  auth.requestTokenUrl ??= (await prompter.input({ message: 'Request token URL', validate: url('auth.requestTokenUrl', 'https://api.example.com/oauth/request_token') })).trim();
  auth.authorizationUrl ??= (await prompter.input({ message: 'Authorization URL', validate: url('auth.authorizationUrl', 'https://api.example.com/oauth/authorize') })).trim();
  auth.accessTokenUrl ??= (await prompter.input({ message: 'Access token URL', validate: url('auth.accessTokenUrl', 'https://api.example.com/oauth/access_token') })).trim();
  auth.signatureMethod ??= await prompter.select({
    message: 'Signature method',
    choices: ['HMAC-SHA1', 'HMAC-SHA256', 'PLAINTEXT', 'RSA-SHA1'].map((method) => ({ name: method, value: method })),
    default: 'HMAC-SHA1',
  });
}

async function askOAuth2(prompter: Prompter, answers: Answers): Promise<void> {
  const auth = answers.auth;
  auth.grantType ??= await prompter.select({
    message: 'Grant type',
    choices: [
      { name: 'Authorization code', value: 'authorizationCode' },
      { name: 'Client credentials', value: 'clientCredentials' },
      { name: 'Device code', value: 'deviceCode' },
    ],
    default: 'authorizationCode',
  });
  auth.clientId ??= (await prompter.input({ message: 'Client ID', validate: required('the client ID') })).trim();
  if (auth.clientSecret === undefined) {
    const optional = auth.grantType !== 'clientCredentials';
    const secret = await prompter.password({
      message: `Client secret (typed masked; kept in the keychain)${optional ? ' — leave empty for a public client' : ''}`,
      validate: optional ? undefined : required('the client secret'),
    });
    if (secret !== '') answers.secrets.clientSecret = secret;
  }
  if (auth.grantType === 'authorizationCode') {
    auth.authorizationUrl ??= (await prompter.input({ message: 'Authorization URL', validate: url('auth.authorizationUrl', 'https://accounts.example.com/oauth/authorize') })).trim();
  }
  if (auth.grantType === 'deviceCode') {
    auth.deviceAuthorizationUrl ??= (await prompter.input({ message: 'Device authorization URL', validate: url('auth.deviceAuthorizationUrl', 'https://accounts.example.com/oauth/device/code') })).trim();
  }
  auth.tokenUrl ??= (await prompter.input({ message: 'Token URL', validate: url('auth.tokenUrl', 'https://accounts.example.com/oauth/token') })).trim();
  auth.bearerName ??= (await prompter.input({ message: 'Authorization header prefix', default: 'Bearer', validate: required('the prefix') })).trim();
  if (auth.expiresIn === undefined) {
    const text = await prompter.input({
      message: 'Token lifetime in seconds, when the provider does not say',
      default: '3600',
      validate: (value) => (/^[1-9]\d*$/.test(value.trim()) ? true : 'a whole number of seconds'),
    });
    auth.expiresIn = Number(text.trim());
  }
  if (auth.grantType === 'authorizationCode') {
    auth.pkce ??= await prompter.confirm({ message: 'Use PKCE?', default: true });
  }
}

/** Step 3, Scopes (OAuth 2.0): as many as wanted, then the delimiter. */
export async function askScopes(prompter: Prompter, answers: Answers): Promise<void> {
  if (answers.auth.type !== 'oauth2' || answers.scopes !== undefined) return;
  const scopes: { name: string; value: string }[] = [];
  for (;;) {
    const value = (await prompter.input({
      message: scopes.length === 0 ? 'Scope value (empty to skip scopes)' : 'Another scope value (empty to finish)',
      validate: (text) => (scopes.some((scope) => scope.value === text.trim()) ? 'that scope is already added' : true),
    })).trim();
    if (value === '') break;
    const name = (await prompter.input({ message: 'Display name', default: value })).trim();
    scopes.push({ name, value });
  }
  answers.scopes = scopes;
  if (scopes.length > 0 && answers.scopeDelimiter === undefined) {
    answers.scopeDelimiter = await prompter.select({
      message: 'Scope delimiter',
      choices: [
        { name: 'Comma', value: 'comma' },
        { name: 'Space', value: 'space' },
        { name: 'Plus', value: 'plus' },
      ],
      default: 'comma',
    });
  }
}
