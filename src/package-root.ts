import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * Returns the folder that holds this package's `package.json`, `schemas/` and `templates/`.
 * The code runs both from `src/` (tests) and bundled from `dist/`, so the depth differs.
 */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json')) || !existsSync(join(folder, 'schemas'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error(`package root not found above ${fileURLToPath(import.meta.url)}`);
    folder = parent;
  }
  cached = folder;
  return folder;
}
