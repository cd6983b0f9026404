// Every real-world impermanence configuration in test/fixtures/realworld applies in a booted
// namespace, keeps what is written into its persisted paths across a reboot, and loses the rest.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import {
  type Inspected,
  requireNamespaces,
  type Step,
  systemsCleanedAfter,
  TestSystem,
} from '../helpers/boot.js';
import { accountFiles, loadRealworld } from '../helpers/realworld.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

describe('real-world configurations', { skip }, () => {
  const cases = loadRealworld();
  it('finds the configurations', () => assert.ok(cases.length >= 13));
  for (const c of cases) {
    it(`${c.name}: applies, survives a reboot, re-applies as a no-op`, () => {
      const accounts = accountFiles(c.users, c.groups);
      const yaml = stringify(c.config);
      // Learn the entries and stores from the model itself.
      const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-rw-'));
      fs.mkdirSync(`${scratch}/etc`);
      fs.writeFileSync(`${scratch}/etc/passwd`, accounts.passwd);
      fs.writeFileSync(`${scratch}/etc/group`, accounts.group);
      fs.writeFileSync(`${scratch}/c.yaml`, yaml);
      const model = loadConfig(`${scratch}/c.yaml`, { root: scratch });
      fs.rmSync(scratch, { recursive: true });

      const s = new TestSystem({ config: yaml, stores: model.stores, accounts });
      systems.push(s);
      // Write one file into every persisted directory and every persisted file.
      const writes: Step[] = model.entries.map((e) =>
        e.kind === 'directory'
          ? { do: 'write', path: `${e.target}/kept-${e.id.length}`, content: e.id }
          : { do: 'write', path: e.target, content: e.id },
      );
      const [first] = s.boot([
        { do: 'apply' },
        ...writes,
        { do: 'write', path: '/not-declared/x', content: 'x' },
      ]);
      assert.ok(
        first?.do === 'apply' && first.status === 0,
        first?.do === 'apply' ? first.stderr : '',
      );

      const paths = writes.map((w) => (w.do === 'write' ? w.path : ''));
      const [again, noop, seen] = s.boot([
        { do: 'apply' },
        { do: 'apply', args: ['--json'] },
        { do: 'inspect', paths: [...paths, '/not-declared/x'] },
      ]);
      assert.ok(
        again?.do === 'apply' && again.status === 0,
        again?.do === 'apply' ? again.stderr : '',
      );
      assert.ok(noop?.do === 'apply');
      assert.equal(JSON.parse(noop.stdout.trim().split('\n').at(-1)!).actions, 0);
      assert.ok(seen?.do === 'inspect');
      for (const w of writes) {
        if (w.do !== 'write') continue;
        const got: Inspected = seen.paths[w.path]!;
        // a file entry linked into the store reads through the link
        const content =
          got.type === 'symlink' ? readStored(s, model.stores, got.link!) : got.content;
        assert.equal(content, w.content, `${w.path} did not survive`);
      }
      assert.equal(seen.paths['/not-declared/x']!.type, 'missing');
    });
  }
});

/** Read a stored file from its disk, given its path in the booted system. */
function readStored(s: TestSystem, stores: string[], p: string): string {
  const store = stores.filter((x) => p.startsWith(`${x}/`)).sort((a, b) => b.length - a.length)[0]!;
  return fs.readFileSync(s.disk(store, p.slice(store.length)), 'utf8');
}
