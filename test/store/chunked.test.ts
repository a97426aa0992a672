import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import type { SecretStore } from '../../src/cli/deps.js';
import { ChunkedSecretStore, IncompleteEntryError, entryLimit, splitPieces } from '../../src/store/chunked.js';

const service = 'connector:zylker_files';

/** A store that, like Windows Credential Manager, rejects values longer than `limit` UTF-16 code units. */
class LimitedStore implements SecretStore {
  readonly kind = 'limited';
  readonly entries = new Map<string, string>();

  constructor(private readonly limit: number) {}

  async get(serviceName: string, account: string): Promise<string | null> {
    return this.entries.get(`${serviceName}/${account}`) ?? null;
  }

  async set(serviceName: string, account: string, value: string): Promise<void> {
    if (value.length > this.limit) {
      throw new Error(`value of ${value.length} code units is longer than the limit of ${this.limit}`);
    }
    this.entries.set(`${serviceName}/${account}`, value);
  }

  async delete(serviceName: string, account: string): Promise<boolean> {
    return this.entries.delete(`${serviceName}/${account}`);
  }
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function setup(): { inner: LimitedStore; store: ChunkedSecretStore } {
  const inner = new LimitedStore(entryLimit);
  return { inner, store: new ChunkedSecretStore(inner) };
}

describe('ChunkedSecretStore', () => {
  test('limit is 1,280 UTF-16 code units', () => {
    expect(entryLimit).toBe(1280);
  });

  test('fake store rejects a value over the limit', async () => {
    const { inner } = setup();

    await expect(inner.set(service, 'work', 'x'.repeat(1281))).rejects.toThrow('longer than the limit');
  });

  const lengths = [
    { name: 'empty', value: '', entries: 1 },
    { name: '1279 code units', value: 'a'.repeat(1279), entries: 1 },
    { name: '1280 code units', value: 'a'.repeat(1280), entries: 1 },
    { name: '1281 code units', value: 'a'.repeat(1281), entries: 3 },
    // The emoji sits on code units 1279 and 1280, across the first boundary.
    { name: '1281 code units with an emoji on the boundary', value: `${'a'.repeat(1279)}😀`, entries: 3 },
    { name: '10000 code units of emoji and text', value: `${'😀b'.repeat(3333)}c`, entries: 9 },
    { name: '10000 code units of emoji only', value: '😀'.repeat(5000), entries: 9 },
  ];

  test.each(lengths)('round trip of $name', async ({ value, entries }) => {
    const { inner, store } = setup();

    await store.set(service, 'work', value);

    expect(await store.get(service, 'work')).toBe(value);
    expect(inner.entries.size).toBe(entries);
  });

  test.each(lengths)('entries of $name are within the limit and keep surrogate pairs whole', async ({ value }) => {
    const { inner, store } = setup();

    await store.set(service, 'work', value);

    for (const stored of inner.entries.values()) {
      expect(stored.length).toBeLessThanOrEqual(entryLimit);
      expect(stored).not.toMatch(loneSurrogate);
    }
  });

  test('short value is stored as is', async () => {
    const { inner, store } = setup();

    await store.set(service, 'work', '{"type":"basic"}');

    expect(inner.entries.get(`${service}/work`)).toBe('{"type":"basic"}');
  });

  test('long value gets a header and numbered parts', async () => {
    const { inner, store } = setup();

    await store.set(service, 'work', 'a'.repeat(1281));

    expect(inner.entries.get(`${service}/work`)).toMatch(/^chunks:v1:[0-9a-f]{8}:2:1281$/);
    expect([...inner.entries.keys()].filter((key) => /^connector:zylker_files\/work#[0-9a-f]{8}\.[12]$/.test(key))).toHaveLength(2);
  });

  test('short value that looks like a header round trips', async () => {
    const { store } = setup();

    await store.set(service, 'work', 'chunks:v1:00000000:1:5');

    expect(await store.get(service, 'work')).toBe('chunks:v1:00000000:1:5');
  });

  test('missing entry reads as null', async () => {
    const { store } = setup();

    expect(await store.get(service, 'work')).toBeNull();
  });

  test('long value replaced by a short one leaves no parts', async () => {
    const { inner, store } = setup();

    await store.set(service, 'work', 'a'.repeat(5000));
    await store.set(service, 'work', 'short');

    expect([...inner.entries.keys()]).toEqual([`${service}/work`]);
    expect(await store.get(service, 'work')).toBe('short');
  });

  test('long value replaced by another leaves only the new parts', async () => {
    const { inner, store } = setup();

    await store.set(service, 'work', 'a'.repeat(5000));
    await store.set(service, 'work', 'b'.repeat(2000));

    expect(inner.entries.size).toBe(3);
    expect(await store.get(service, 'work')).toBe('b'.repeat(2000));
  });

  test('delete removes every part', async () => {
    const { inner, store } = setup();
    await store.set(service, 'work', 'a'.repeat(10000));
    await store.set(service, 'home', 'kept');

    expect(await store.delete(service, 'work')).toBe(true);

    expect([...inner.entries.keys()]).toEqual([`${service}/home`]);
  });

  test('delete of a missing entry returns false', async () => {
    const { store } = setup();

    expect(await store.delete(service, 'work')).toBe(false);
  });

  test('missing part is an incomplete entry', async () => {
    const { inner, store } = setup();
    await store.set(service, 'work', 'a'.repeat(3000));
    const part = [...inner.entries.keys()].find((key) => key.endsWith('.2'));
    inner.entries.delete(part ?? '');

    const error = await store.get(service, 'work').catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(IncompleteEntryError);
    expect((error as Error).message).toBe(
      'The secret for service "connector:zylker_files", account "work" is incomplete: part 2 of 3 is missing.',
    );
    expect((error as IncompleteEntryError).hint).toContain('connector connect');
  });

  test('truncated part is an incomplete entry', async () => {
    const { inner, store } = setup();
    await store.set(service, 'work', 'a'.repeat(3000));
    const part = [...inner.entries.keys()].find((key) => key.endsWith('.3')) ?? '';
    inner.entries.set(part, 'a');

    await expect(store.get(service, 'work')).rejects.toThrow('its parts hold 2561 characters instead of 3000');
  });

  test('unreadable header is an incomplete entry', async () => {
    const { inner, store } = setup();
    inner.entries.set(`${service}/work`, 'chunks:v1:nonsense');

    await expect(store.get(service, 'work')).rejects.toThrow('its header is not readable');
  });

  test('unreadable header can be overwritten and deleted', async () => {
    const { inner, store } = setup();
    inner.entries.set(`${service}/work`, 'chunks:v1:nonsense');

    await store.set(service, 'work', 'fresh');
    expect(await store.get(service, 'work')).toBe('fresh');
    expect(await store.delete(service, 'work')).toBe(true);
  });

  test('kind is the inner store kind', () => {
    expect(setup().store.kind).toBe('limited');
  });

  test('any string round trips within a small limit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.integer({ min: 2, max: 40 }), async (value, limit) => {
        const inner = new LimitedStore(Math.max(limit, 32));
        const store = new ChunkedSecretStore(inner, limit);

        await store.set(service, 'work', value);

        expect(await store.get(service, 'work')).toBe(value);
      }),
    );
  });
});

describe('splitPieces', () => {
  test('never splits a surrogate pair', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.integer({ min: 2, max: 50 }), (value, limit) => {
        const pieces = splitPieces(value, limit);

        expect(pieces.join('')).toBe(value);
        for (const piece of pieces) {
          expect(piece.length).toBeLessThanOrEqual(limit);
          expect(piece.length).toBeGreaterThan(0);
          expect(piece).not.toMatch(loneSurrogate);
        }
      }),
    );
  });

  test('limit below 2 is rejected', () => {
    expect(() => splitPieces('ab', 1)).toThrow(RangeError);
  });
});
