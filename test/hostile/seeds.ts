/**
 * Valid connector files, one per auth type, that the hostile-input tests mutate. Each has
 * comments, flow and block collections and quoted scalars, so mutations meet the YAML forms a
 * hand-written file commonly uses.
 */

export const basicSeed = `# Zylker Helpdesk: user name and password on every request
schemaVersion: 1
name: Zylker Helpdesk
linkName: zylker_helpdesk
description: Tickets in Zylker Helpdesk
stage: draft
baseUrl: https://{subdomain}.zylker.com
connectionParameters:
  - { name: Subdomain, key: subdomain }
auth:
  type: basic
  username: { name: User name, key: username }
  password:
    name: Password   # asked for at connect time
    key: password
test:
  method: GET
  url: /api/v2/me
`;

export const apiKeySeed = `schemaVersion: 1
name: "Zylker Mail"
linkName: zylker_mail
stage: draft
baseUrl: https://api.zylker.com
auth:
  type: apiKey
  location: header   # header | query | form
  parameters:
    - { name: API key, key: X-Api-Key }
    - name: Access token
      key: Authorization
      prefix: 'Bearer '
`;

export const oauth1Seed = `schemaVersion: 1
name: Zylker Photos
linkName: zylker_photos
description: >-
  Photo albums in Zylker Photos,
  signed with OAuth 1.0a
stage: draft
auth:
  type: oauth1
  consumerKey: ck_123
  consumerSecret: env:ZYLKER_CONSUMER_SECRET
  requestTokenUrl: https://api.zylker.com/oauth/request_token
  authorizationUrl: https://api.zylker.com/oauth/authorize
  accessTokenUrl: https://api.zylker.com/oauth/access_token
  signatureMethod: HMAC-SHA1
`;

export const oauth2Seed = `# yaml-language-server: $schema=./connector.schema.json
schemaVersion: 1
name: Zylker Files                 # display name
linkName: zylker_files
description: Files in Zylker Drive
stage: draft
baseUrl: https://api.zylker.com
connectionParameters:
  - { name: Region, key: region, default: us }
auth:
  type: oauth2
  grantType: authorizationCode
  clientId: "1000.ABC"
  clientSecret: env:ZYLKER_CLIENT_SECRET
  authorizationUrl: https://accounts.zylker.com/oauth/v2/auth
  tokenUrl: https://accounts.zylker.com/oauth/v2/token
  revokeTokenUrl: https://accounts.zylker.com/oauth/v2/revoke
  expiresIn: 3600
  pkce: true
  authorizationParams: { access_type: offline }
scopes:
  delimiter: comma
  items:
    - { name: Read files, value: files.read }
    - name: Write files   # block style on purpose
      value: files.write
test:
  method: GET
  url: /v1/me
`;

export const seeds: Record<string, string> = {
  basic: basicSeed,
  apiKey: apiKeySeed,
  oauth1: oauth1Seed,
  oauth2: oauth2Seed,
};

export const seedTexts: string[] = Object.values(seeds);
