import type { Deps } from '../cli/deps.js';
import { schemaText } from '../definition/schema-lookup.js';

/** `connector schema`: prints the JSON Schema of connector.yaml, for editors and other tools. */
export async function run(_args: unknown[], _options: Record<string, unknown>, deps: Deps): Promise<void> {
  const text = schemaText();
  deps.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
