// The layers hold by themselves: the pure stages reach no file system, process or addon (not
// even through what they import), only src/system writes, and no folder of src/ imports one
// that imports it back.
// Reads the TypeScript sources, so it judges the code as written, not as bundled.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from '../helpers/boot.js';

const SRC = path.join(REPO, 'src');

/** Modules that must stay pure: decisions on plain data, no side effect and no reading. */
const PURE: Array<{ folder: string; except?: string[]; only?: string[] }> = [
  { folder: 'core' },
  { folder: 'model' },
  { folder: 'plan' },
  // Looking where the compiled units go is the one effect of compile (src/system writes
  // them); rendering them is pure.
  { folder: 'compile', except: ['write.ts'] },
  { folder: 'home', only: ['plan.ts'] },
  // Reading the file, the accounts and the store, and editing the file in place, are the
  // config stage's effects; parsing and validating what was read are pure.
  {
    folder: 'config',
    except: [
      'load.ts',
      'load-text.ts',
      'load-model.ts',
      'accounts.ts',
      'edit.ts',
      'missing-store.ts',
      'index.ts',
    ],
  },
  { folder: 'diff', only: ['scan.ts', 'walk.ts', 'format.ts'] },
];

/** What a pure module may not reach. */
const EFFECTS = /^(node:)?(fs|fs\/promises|child_process)$|binding\.js$|\.node$/;

/**
 * node:fs calls that change the file system (each with its Sync and promise forms), and the
 * addon's calls that change the system: only src/system makes them.
 */
const FS_WRITES = [
  'write',
  'writev',
  'writeFile',
  'appendFile',
  'createWriteStream',
  'mkdir',
  'mkdtemp',
  'rename',
  'unlink',
  'rm',
  'rmdir',
  'symlink',
  'link',
  'copyFile',
  'cp',
  'chmod',
  'fchmod',
  'lchmod',
  'chown',
  'fchown',
  'lchown',
  'utimes',
  'futimes',
  'lutimes',
  'truncate',
  'ftruncate',
  'fsync',
  'fdatasync',
];
const FS_WRITE = new RegExp(`^(${FS_WRITES.join('|')})(Sync)?$`);
const ADDON_WRITES = /[?.]\s*\.?\s*(mount|umount2|flock|copyXattrs)\b/;
/** An open that may create or change a file. */
const WRITE_FLAGS = /O_CREAT|O_WRONLY|O_RDWR|O_TRUNC|O_APPEND|['"](?:w|wx|w\+|a|ax|a\+|r\+)['"]/;

/**
 * Modules outside src/system that still write themselves, each with why. Keep it short: a
 * write belongs in a src/system module that states its invariant.
 */
const WRITERS_OUTSIDE_SYSTEM: Array<{ prefix: string; why: string }> = [];

/** The arguments of the call whose opening parenthesis is at `open`. */
function callArguments(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(open + 1, i);
  }
  return text.slice(open + 1);
}

/** A call of `name` with these arguments changes the file system. */
function isWriteCall(name: string, args: string): boolean {
  // A line to the standard output or error is output, not a change to any file.
  if (/^(write|writeSync)$/.test(name) && /^\s*(1|2|process\.(stdout|stderr)\.fd)\s*,/.test(args))
    return false;
  if (FS_WRITE.test(name)) return true;
  return /^open(Sync)?$/.test(name) && WRITE_FLAGS.test(args);
}

/** The file-system writes of one module's text, each as `name(` where it is called or imported. */
function fsWrites(text: string): string[] {
  const found: string[] = [];
  const calls = (pattern: RegExp) => {
    for (const m of text.matchAll(pattern)) {
      const name = m[1]!;
      const open = m.index! + m[0].length - 1;
      if (isWriteCall(name, callArguments(text, open))) found.push(`${name}(`);
    }
  };
  const esc = (s: string) => s.replace(/[$]/g, '\\$');
  const fsImport = /^import\s+(?!type\b)([^;]*?)\s+from\s+'(?:node:)?(fs|fs\/promises)'/gm;
  for (const m of text.matchAll(fsImport)) {
    const clause = m[1]!;
    const promises = m[2] === 'fs/promises';
    const whole = /^(?:\*\s+as\s+)?([\w$]+)/.exec(clause)?.[1];
    if (whole) {
      const via = promises ? '' : '(?:promises\\.)?';
      calls(new RegExp(`(?<![\\w$.])${esc(whole)}\\.${via}([\\w$]+)\\s*\\(`, 'g'));
    }
    for (const part of /\{([^}]*)\}/.exec(clause)?.[1]?.split(',') ?? []) {
      const [orig, local = orig] = part
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/);
      if (!orig || part.trim().startsWith('type ')) continue;
      if (orig === 'promises' && local)
        calls(new RegExp(`(?<![\\w$.])${esc(local)}\\.([\\w$]+)\\s*\\(`, 'g'));
      else if (FS_WRITE.test(orig) && orig !== 'write' && orig !== 'writeSync')
        found.push(`${orig}(`);
      else if (/^(open|openSync|write|writeSync)$/.test(orig) && local) {
        // Named: judged call by call (an open with write flags, a write to a file).
        for (const c of text.matchAll(new RegExp(`(?<![\\w$.])${esc(local)}\\s*\\(`, 'g'))) {
          const open = c.index! + c[0].length - 1;
          if (isWriteCall(orig, callArguments(text, open))) found.push(`${orig}(`);
        }
      }
    }
  }
  // The addon: loading it is allowed (to hand it to src/system), calling its effects is not.
  if (/from\s+'[^']*system\/binding\.js'/.test(text) || /from\s+'[^']*\.node'/.test(text)) {
    const m = ADDON_WRITES.exec(text);
    if (m) found.push(`addon ${m[1]}`);
    if (/\bLOCK_(EX|NB|UN)\b/.test(text)) found.push('addon flock');
  }
  return [...new Set(found)];
}

function sourcesIn(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourcesIn(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Specifiers a module imports for their values (`import type` is erased and costs nothing). */
function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)(?!\s+type\b)[^;]*?\bfrom\s+'([^']+)'/gm))
    specs.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) specs.push(m[1]!);
  return specs;
}

/** Every import, types included: a folder cycle is a cycle whatever crosses it. */
function allImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/\bfrom\s+'(\.[^']+)'|\bimport\(\s*'(\.[^']+)'\s*\)/g)].map(
    (m) => (m[1] ?? m[2])!,
  );
}

function resolveSource(from: string, spec: string): string | undefined {
  const p = path.resolve(path.dirname(from), spec.replace(/\.js$/, '.ts'));
  return existsSync(p) ? p : undefined;
}

/** The import chain from `file` to its first effect, or undefined when it reaches none. */
function effectChain(file: string, memo: Map<string, string[] | null>): string[] | undefined {
  if (memo.has(file)) return memo.get(file) ?? undefined;
  memo.set(file, null); // a cycle back here adds nothing new
  let found: string[] | null = null;
  for (const spec of valueImports(file)) {
    if (EFFECTS.test(spec)) {
      found = [spec];
      break;
    }
    if (!spec.startsWith('.')) continue;
    const next = resolveSource(file, spec);
    const chain = next && effectChain(next, memo);
    if (chain) {
      found = [path.relative(SRC, next!), ...chain];
      break;
    }
  }
  memo.set(file, found);
  return found ?? undefined;
}

const folderOf = (file: string) => {
  const parts = path.relative(SRC, file).split(path.sep);
  return parts.length > 1 ? parts[0]! : '.';
};

/** Strongly connected folders (Tarjan): each group of two or more is a cycle. */
function folderCycles(edges: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) cycles.push(group.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe('layers', () => {
  const files = sourcesIn(SRC);

  it('the pure stages reach no file system, process or addon', () => {
    const memo = new Map<string, string[] | null>();
    const impure: string[] = [];
    for (const { folder, except = [], only } of PURE) {
      for (const file of sourcesIn(path.join(SRC, folder))) {
        const name = path.relative(path.join(SRC, folder), file);
        if (except.includes(name) || (only && !only.includes(name))) continue;
        const chain = effectChain(file, memo);
        if (chain) impure.push(`${path.relative(SRC, file)} -> ${chain.join(' -> ')}`);
      }
    }
    assert.deepEqual(impure, [], `pure modules that reach an effect:\n${impure.join('\n')}`);
  });

  it('no folder of src/ imports one that imports it back', () => {
    const edges = new Map<string, Set<string>>();
    const witness = new Map<string, string>();
    for (const file of files) {
      const from = folderOf(file);
      for (const spec of allImports(file)) {
        const target = resolveSource(file, spec);
        if (!target) continue;
        const to = folderOf(target);
        if (from === to || from === '.' || to === '.') continue;
        if (!edges.has(from)) edges.set(from, new Set());
        edges.get(from)!.add(to);
        witness.set(`${from}->${to}`, `${path.relative(SRC, file)} imports ${spec}`);
      }
    }
    const cycles = folderCycles(edges);
    const shown = cycles.map((group) =>
      [...witness]
        .filter(([k]) => group.includes(k.split('->')[0]!) && group.includes(k.split('->')[1]!))
        .map(([k, w]) => `  ${k}: ${w}`)
        .join('\n'),
    );
    assert.deepEqual(cycles, [], `folder cycles:\n${shown.join('\n')}`);
  });

  it('only src/system writes to the file system or calls the addon', () => {
    const writers: string[] = [];
    for (const file of files) {
      const rel = path.relative(SRC, file);
      if (rel.startsWith('system/')) continue;
      if (WRITERS_OUTSIDE_SYSTEM.some((w) => rel.startsWith(w.prefix))) continue;
      const found = fsWrites(readFileSync(file, 'utf8'));
      if (found.length > 0) writers.push(`${rel}: ${found.join(', ')}`);
    }
    assert.deepEqual(writers, [], `modules outside src/system that write:\n${writers.join('\n')}`);
  });

  it('switches for tests are read in one module (hooks.ts), nowhere else', () => {
    // The demo's own stages and the command line's options (KEEPSAKE_CONFIG, KEEPSAKE_DEBUG)
    // are part of what keepsake does, not switches for tests.
    const allowed = new Set(['hooks.ts', 'cli/fast-args.ts', 'cli/main.ts']);
    const readers = files
      .map((f) => path.relative(SRC, f))
      .filter((f) => !allowed.has(f) && !f.startsWith('cli/demo/'))
      .filter((f) =>
        /\benv\.KEEPSAKE_|env\[['"]KEEPSAKE_/.test(readFileSync(path.join(SRC, f), 'utf8')),
      );
    assert.deepEqual(readers, []);
  });

  it('finds an effect and a cycle when they are there (the checks can fail)', () => {
    // The write finder, on the system's own writer and on each way a write can be spelled.
    assert.ok(
      fsWrites(readFileSync(path.join(SRC, 'system', 'atomic-write.ts'), 'utf8')).length > 0,
    );
    const spelled = [
      "import * as fs from 'node:fs';\nfs.renameSync(a, b);",
      "import fs from 'fs';\nfs.promises.rm(a);",
      "import { mkdirSync } from 'node:fs';",
      "import { rm as remove } from 'node:fs/promises';",
      "import * as fsp from 'node:fs/promises';\nawait fsp.writeFile(a, b);",
      "import { promises as p } from 'node:fs';\np.chmod(a, 0o600);",
      "import * as fs from 'node:fs';\nfs.openSync(a, fs.constants.O_RDWR | fs.constants.O_CREAT);",
      "import { openSync } from 'node:fs';\nopenSync(a, 'w');",
      "import { writeSync } from 'node:fs';\nwriteSync(fd, text);",
      "import { loadBinding } from '../system/binding.js';\nloadBinding().binding?.flock(fd, 2);",
    ];
    for (const text of spelled) assert.notDeepEqual(fsWrites(text), [], text);
    for (const text of [
      "import * as fs from 'node:fs';\nfs.readFileSync(a);\nfs.openSync(a, fs.constants.O_RDONLY);",
      "import { writeSync } from 'node:fs';\nwriteSync(2, line);",
      "import { loadBinding } from '../system/binding.js';\nacquire(loadBinding().binding);",
    ])
      assert.deepEqual(fsWrites(text), [], text);
    // The checker itself, on modules known to have effects: the store reader must be caught.
    const chain = effectChain(path.join(SRC, 'system', 'safe-fs.ts'), new Map());
    assert.ok(chain && EFFECTS.test(chain.at(-1)!), 'safe-fs.ts reads files');
    assert.deepEqual(
      folderCycles(
        new Map([
          ['a', new Set(['b'])],
          ['b', new Set(['a'])],
        ]),
      ),
      [['a', 'b']],
    );
  });
});
