/**
 * The rules of DESIGN.md §3, checked on the source tree: layers import only downwards, peers never import
 * each other, no import cycles, no file over 400 lines, `index.ts` only re-exports, and the Web-only
 * layers reach no Node API except through their `node-*.ts` implementations.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

/** Layers lowest first; layers on one rung are peers and never import each other. */
const RUNGS: readonly (readonly string[])[] = [
  ['protocol'],
  ['authorization'],
  ['events'],
  ['store'],
  ['http'],
  ['receiver', 'client', 'sender'],
  ['flow'],
  ['adapters'],
  ['service', 'sandbox', 'testing'],
  ['cli'],
  ['node'],
  ['(root)'],
];
const RANK = new Map(RUNGS.flatMap((rung, rank) => rung.map((layer) => [layer, rank] as const)));

/** Directories whose files (other than `node-*.ts`) run on any Web-standard runtime. */
const WEB_ONLY = ['protocol', 'authorization', 'events', 'receiver'];
/** The only places that may open a database driver (the sandbox keeps its fake wallet in SQLite). */
const DRIVERS: Record<string, readonly string[]> = {
  'better-sqlite3': ['store/sqlite/', 'store/drivers.ts', 'sandbox/'],
  pg: ['store/postgres/', 'store/drivers.ts'],
};

interface SourceFile {
  path: string; // relative to src, with forward slashes
  text: string;
  /** `typeOnly`: an `import type` (erased at run time). */
  imports: { spec: string; target: string | null; typeOnly: boolean }[];
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return walk(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b([^'";]*?)\bfrom\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

function load(): SourceFile[] {
  return walk(SRC).map((full) => {
    const text = readFileSync(full, 'utf8');
    const path = relative(SRC, full).split('\\').join('/');
    const imports = [...text.matchAll(IMPORT)].map((m) => {
      const spec = (m[2] ?? m[3] ?? m[4]) as string;
      const typeOnly = /^\s*type\s/.test(m[1] ?? '');
      if (!spec.startsWith('.')) return { spec, target: null, typeOnly };
      const target = relative(SRC, resolve(dirname(full), spec.replace(/\.js$/, '.ts')))
        .split('\\')
        .join('/');
      return { spec, target, typeOnly };
    });
    return { path, text, imports };
  });
}

function layerOf(path: string): string {
  const slash = path.indexOf('/');
  return slash === -1 ? '(root)' : path.slice(0, slash);
}

const files = load();

describe('the source tree keeps the rules of DESIGN.md §3', () => {
  it('knows the layer of every file', () => {
    const unknown = files.map((f) => f.path).filter((p) => !RANK.has(layerOf(p)));
    expect(unknown).toEqual([]);
  });

  it('imports only from layers below, never from a peer beside it', () => {
    const broken: string[] = [];
    for (const file of files) {
      const from = layerOf(file.path);
      for (const { target } of file.imports) {
        if (target === null) continue;
        const to = layerOf(target);
        if (to === from) continue;
        const a = RANK.get(from) ?? -1;
        const b = RANK.get(to) ?? -1;
        if (b >= a) broken.push(`${file.path} -> ${target} (${from} may not import ${to})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('has no import cycles', () => {
    const graph = new Map(files.map((f) => [f.path, f.imports.flatMap((i) => (i.target ? [i.target] : []))]));
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (node: string, trail: string[]) => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(node)), node].join(' -> '));
        return;
      }
      state.set(node, 'open');
      for (const next of graph.get(node) ?? []) visit(next, [...trail, node]);
      state.set(node, 'done');
    };
    for (const node of graph.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });

  it('keeps every source file at 400 lines or fewer', () => {
    const long = files
      .map((f) => ({ path: f.path, lines: f.text.split('\n').length - (f.text.endsWith('\n') ? 1 : 0) }))
      .filter((f) => f.lines > 400)
      .map((f) => `${f.path}: ${f.lines} lines`);
    expect(long).toEqual([]);
  });

  it('lets index.ts files only re-export', () => {
    const offenders: string[] = [];
    for (const file of files.filter((f) => f.path.endsWith('index.ts'))) {
      const code = file.text
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '')
        .replace(/export\s+(?:type\s+)?(?:\*|\{[^}]*\})\s+from\s+['"][^'"]+['"];?/g, '')
        .replace(/export\s+\*\s+as\s+\w+\s+from\s+['"][^'"]+['"];?/g, '')
        .trim();
      if (code !== '') offenders.push(`${file.path}: ${code.slice(0, 60)}`);
    }
    expect(offenders).toEqual([]);
  });

  it('publishes names one by one, never with export *', () => {
    const star = files.filter((f) => /export\s+\*\s+from/.test(f.text)).map((f) => f.path);
    expect(star).toEqual([]);
  });

  it('keeps Node APIs out of protocol/, authorization/ and the receiver core (node-*.ts aside)', () => {
    const offenders: string[] = [];
    for (const file of files) {
      if (!WEB_ONLY.includes(layerOf(file.path))) continue;
      if (/(^|\/)node-[^/]*\.ts$/.test(file.path)) continue;
      for (const { spec, target, typeOnly } of file.imports) {
        if (typeOnly) continue; // erased at run time (WebCrypto type names come from @types/node)
        const node = spec.startsWith('node:') || (target !== null && /(^|\/)node-[^/]*\.ts$/.test(target));
        if (node) offenders.push(`${file.path} imports ${spec}`);
      }
      if (/\bBuffer\.|\bprocess\./.test(file.text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')))
        offenders.push(`${file.path} uses a Node global`);
    }
    expect(offenders).toEqual([]);
  });

  it('opens database drivers only in their own stores, and never imports the sandbox from production code', () => {
    const offenders: string[] = [];
    for (const file of files) {
      for (const { spec, target } of file.imports) {
        const homes = DRIVERS[spec];
        if (homes !== undefined && !homes.some((home) => file.path.startsWith(home)))
          offenders.push(`${file.path} imports ${spec}`);
        const layer = layerOf(file.path);
        if (target?.startsWith('sandbox/') && layer !== 'sandbox' && layer !== 'cli')
          offenders.push(`${file.path} imports the sandbox`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('the entries', () => {
  it('publish from the root entry every name of authnotify/protocol and of authnotify/node', async () => {
    const root = Object.keys(await import('../src/index.js'));
    const protocol = Object.keys(await import('../src/protocol/index.js'));
    const node = Object.keys(await import('../src/node/index.js'));
    expect([...protocol, ...node].filter((name) => !root.includes(name))).toEqual([]);
  });
});
