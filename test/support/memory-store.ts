import type { SecretStore } from '../../src/cli/deps.js';

/** An in-memory secret store for unit tests; the real keychain has its own tests. */
export class MemoryStore implements SecretStore {
  readonly kind = 'memory';
  readonly entries = new Map<string, string>();

  async get(service: string, account: string): Promise<string | null> {
    return this.entries.get(`${service}\u0000${account}`) ?? null;
  }

  async set(service: string, account: string, value: string): Promise<void> {
    this.entries.set(`${service}\u0000${account}`, value);
  }

  async delete(service: string, account: string): Promise<boolean> {
    return this.entries.delete(`${service}\u0000${account}`);
  }
}
