// Names resolved from the stored copies of /etc/passwd and /etc/group when the configuration
// persists them, falling back to the root's; the model cache notices a changed stored copy;
// a configuration missing because its store is not mounted says so.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadModel } from '../../src/apply/model-cache.js';
import { storedCopyOf } from '../../src/config/accounts.js';
import { validateConfig } from '../../src/config/index.js';
import { unmountedStore } from '../../src/config/missing-store.js';

const tmp = fs.mkdtempSync(join(tmpdir(), 'keepsake-stored-accounts-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const entry = (kind: 'file' | 'directory', target: string, store: string) => ({
  kind,
  target,
  store,
});

test('the stored copy: a file entry for it, else the deepest directory holding it', () => {
  assert.equal(storedCopyOf('/etc/passwd', []), undefined);
  assert.equal(
    storedCopyOf('/etc/passwd', [entry('file', '/etc/passwd', '/persist/etc/passwd')]),
    '/persist/etc/passwd',
  );
  assert.equal(
    storedCopyOf('/etc/passwd', [entry('directory', '/etc', '/persist/system/etc')]),
    '/persist/system/etc/passwd',
  );
  assert.equal(
    storedCopyOf('/etc/passwd', [
      entry('directory', '/etc', '/a/etc'),
      entry('file', '/etc/passwd', '/b/etc/passwd'),
    ]),
    '/b/etc/passwd',
  );
  assert.equal(
    storedCopyOf('/etc/passwd', [entry('directory', '/', '/persist/')]),
    '/persist/etc/passwd',
  );
  // Neither /etc/passwd.d nor /etcetera holds it.
  assert.equal(storedCopyOf('/etc/passwd', [entry('directory', '/etcetera', '/p/x')]), undefined);
  assert.equal(storedCopyOf('/etc/passwd', [entry('file', '/etc/passwd-', '/p/x')]), undefined);
});

function rootWith(name: string, config: string, stored?: string) {
  const root = join(tmp, name);
  fs.mkdirSync(join(root, 'etc'), { recursive: true });
  fs.mkdirSync(join(root, 'persist/etc'), { recursive: true });
  fs.mkdirSync(join(root, 'run'));
  fs.writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  fs.writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  if (stored !== undefined) fs.writeFileSync(join(root, 'persist/etc/passwd'), stored);
  fs.writeFileSync(join(root, 'keepsake.yaml'), config);
  return root;
}
const JANE_ONLY_STORED = `persistence:
  /persist:
    files: [/etc/passwd]
    users:
      jane:
        directories: [Documents]
`;
const stored = (uid: number) =>
  `root:x:0:0::/root:/bin/sh\njane:x:${uid}:${uid}::/home/jane:/bin/sh\n`;

test('a user only in the stored passwd resolves; without the entry for passwd, it does not', () => {
  const root = rootWith('a', JANE_ONLY_STORED, stored(1001));
  const v = validateConfig(join(root, 'keepsake.yaml'), { root });
  assert.ok(v.model, JSON.stringify(v.diagnostics));
  const docs = v.model.entries.find((e) => e.target === '/home/jane/Documents');
  assert.deepEqual([docs?.owner.uid, docs?.owner.gid], [1001, 1001]);
  fs.writeFileSync(
    join(root, 'keepsake.yaml'),
    JANE_ONLY_STORED.replace('    files: [/etc/passwd]\n', ''),
  );
  const w = validateConfig(join(root, 'keepsake.yaml'), { root });
  assert.equal(w.model, undefined);
  assert.match(w.diagnostics[0]?.message ?? '', /user "jane" does not exist in .*\/a\/etc\/passwd/);
});

test('the group file falls back to the root’s while the store has no copy', () => {
  const root = rootWith(
    'b',
    JANE_ONLY_STORED.replace('[/etc/passwd]', '[/etc/passwd, /etc/group]').replace(
      '[Documents]',
      '[{ directory: Documents, group: root }]',
    ),
    stored(1001),
  );
  const v = validateConfig(join(root, 'keepsake.yaml'), { root });
  assert.ok(v.model, JSON.stringify(v.diagnostics));
  const docs = v.model.entries.find((e) => e.target === '/home/jane/Documents');
  assert.deepEqual([docs?.owner.uid, docs?.owner.gid], [1001, 0]);
});

test('the cached model is not reused once the stored passwd changes', async () => {
  const root = rootWith('c', JANE_ONLY_STORED, stored(1001));
  const load = () => loadModel(join(root, 'keepsake.yaml'), { root, verbose: false, store: true });
  const uid = (m: Awaited<ReturnType<typeof load>>) =>
    m.entries.find((e) => e.target === '/home/jane/Documents')?.owner.uid;
  assert.equal(uid(await load()), 1001);
  if (process.geteuid?.() === 0)
    assert.ok(fs.existsSync(join(root, 'run/keepsake/model.json')), 'no cache was written');
  fs.writeFileSync(join(root, 'persist/etc/passwd'), stored(1005));
  assert.equal(uid(await load()), 1005);
});

test('a missing configuration: a store not mounted is named, a plain missing file is not', () => {
  const empty = join(tmp, 'store-mount-point');
  fs.mkdirSync(empty);
  assert.match(
    unmountedStore(join(empty, 'keepsake.yaml')) ?? '',
    /store-mount-point is empty and nothing is mounted there/,
  );
  fs.writeFileSync(join(empty, 'other'), '');
  assert.equal(unmountedStore(join(empty, 'keepsake.yaml')), undefined);
});
