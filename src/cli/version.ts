import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { packageRoot } from '../package-root.js';

declare const __CONNECTOR_VERSION__: string | undefined;

/** The package version: inlined by the build, read from package.json when running from source. */
export function packageVersion(): string {
  if (typeof __CONNECTOR_VERSION__ === 'string') return __CONNECTOR_VERSION__;
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}
