import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
  bin: Record<string, string>;
  engines: { node: string };
};

const built = existsSync(new URL('../dist/index.js', import.meta.url));
const entries = Object.entries(pkg.exports).filter(([, v]) => typeof v !== 'string');

describe('published surface', () => {
  it('declares the Node engine and the authnotify bin', () => {
    expect(pkg.engines.node).toBe('>=20.19');
    expect(pkg.bin.authnotify).toBe('./dist/cli/main.js');
  });

  it.each(entries)('%s lists types before default', (_name, target) => {
    expect(Object.keys(target as object)).toEqual(['types', 'default']);
  });

  // dist/ is built by `npm ci` (the prepare script); a checkout without it skips with that reason.
  it.skipIf(!built).each(entries)('imports %s through the package name', async (name, target) => {
    const specifier = name === '.' ? 'authnotify' : `authnotify/${name.slice(2)}`;
    const mod = (await import(specifier)) as Record<string, unknown>;
    expect(Object.keys(mod).length).toBeGreaterThan(0);
    const t = target as { types: string };
    expect(existsSync(new URL(`../${t.types}`, import.meta.url))).toBe(true);
  });
});
