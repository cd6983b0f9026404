import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPlan, MACHINE_ID_SEED } from '../../src/plan/build.js';
import type { Action } from '../../src/plan/types.js';
import {
  baseMounts,
  dir,
  entry,
  file,
  link,
  model,
  mount,
  observed,
  owner,
} from '../helpers/builders.js';

const kinds = (actions: Action[]) =>
  actions.map(
    (a) =>
      `${a.kind} ${'path' in a ? a.path : 'from' in a ? a.from : 'target' in a ? a.target : ''}`,
  );

describe('planning a directory', () => {
  it('creates store, then target, parents first, then binds', () => {
    const m = model([entry('directory', '/var/lib/app')]);
    const plan = buildPlan(m, observed(m, { '/persist': dir() }));
    assert.deepEqual(kinds(plan.actions), [
      'mkdir /persist/var',
      'mkdir /persist/var/lib',
      'mkdir /persist/var/lib/app',
      'mkdir /var',
      'mkdir /var/lib',
      'mkdir /var/lib/app',
      'bind /var/lib/app',
    ]);
    assert.equal(plan.entries[0]!.state, 'pending');
    assert.equal(plan.problems.length, 0);
  });

  it('gives the target the store owner and mode, and created homes 0700 to the user', () => {
    const e = entry('directory', '/home/jane/.ssh', {
      owner: owner(1000, 1000, 0o700),
      parents: owner(1000, 1000, 0o755),
      home: { user: 'jane', uid: 1000, gid: 1000, path: '/home/jane' },
    });
    const m = model([e]);
    const plan = buildPlan(m, observed(m, { '/persist': dir(), '/home': dir() }));
    const mk = Object.fromEntries(
      plan.actions
        .filter((a) => a.kind === 'mkdir')
        .map((a) => [a.path, [a.uid, a.mode.toString(8)]]),
    );
    assert.deepEqual(mk['/persist/home'], [0, '755']);
    assert.deepEqual(mk['/persist/home/jane'], [1000, '700']);
    assert.deepEqual(mk['/home/jane'], [1000, '700']);
    assert.deepEqual(mk['/home/jane/.ssh'], [1000, '700']);
  });

  it('plans nothing when the right store is already mounted', () => {
    const m = model([entry('directory', '/var/log')]);
    const mounts = [...baseMounts(), mount('/var/log', '8:2', '/var/log')];
    const plan = buildPlan(
      m,
      observed(
        m,
        {
          '/persist': dir(),
          '/persist/var': dir(),
          '/persist/var/log': dir(),
          '/var': dir(),
          '/var/log': dir(),
        },
        { mounts },
      ),
    );
    assert.deepEqual(plan.actions, []);
    assert.deepEqual([plan.entries[0]!.state, plan.entries[0]!.live], ['ok', 'mounted']);
  });

  it('refuses a target where something else is mounted', () => {
    const m = model([entry('directory', '/var/log')]);
    const mounts = [
      ...baseMounts(),
      mount('/var/log', '0:55', '/', { fsType: 'tmpfs', source: 'tmpfs' }),
    ];
    const plan = buildPlan(
      m,
      observed(m, { '/persist': dir(), '/var': dir(), '/var/log': dir() }, { mounts }),
    );
    assert.equal(plan.problems[0]!.code, 'foreign-mount');
    assert.deepEqual(plan.actions, []);
  });

  it('refuses to hide a non-empty directory, and says what is there', () => {
    const m = model([entry('directory', '/srv')]);
    const o = observed(
      m,
      { '/persist': dir(), '/srv': dir({ empty: false }) },
      {
        contents: {
          '/srv': { files: 3, directories: 1, bytes: 42, sample: ['a'], truncated: false },
        },
      },
    );
    const plan = buildPlan(m, o);
    assert.equal(plan.problems[0]!.code, 'target-has-data');
    assert.match(plan.problems[0]!.message, /3 files, 1 directory, 42 bytes;/);
    assert.equal(plan.entries[0]!.state, 'refused');
    assert.deepEqual(plan.actions, []);
  });

  it('replaces a link into the store (a user’s own run without root) with the bind', () => {
    const m = model([entry('directory', '/var/lib/app')]);
    const plan = buildPlan(
      m,
      observed(m, {
        '/persist': dir(),
        '/persist/var': dir(),
        '/persist/var/lib': dir(),
        '/persist/var/lib/app': dir(),
        '/var': dir(),
        '/var/lib': dir(),
        '/var/lib/app': link('/persist/var/lib/app'),
      }),
    );
    assert.deepEqual(plan.problems, []);
    assert.deepEqual(kinds(plan.actions), [
      'unlink /var/lib/app',
      'mkdir /var/lib/app',
      'bind /var/lib/app',
    ]);
  });

  it('refuses a symlink anywhere in the store path', () => {
    const m = model([entry('directory', '/var/lib/app')]);
    const plan = buildPlan(m, observed(m, { '/persist': dir(), '/persist/var': link('/etc') }));
    assert.equal(plan.problems[0]!.code, 'symlink-in-path');
    assert.equal(plan.problems[0]!.path, '/persist/var');
  });

  it('changes owner and mode of an existing store only where the config names them', () => {
    const implicit = entry('directory', '/a', { owner: owner(5, 5, 0o700) });
    const named = entry('directory', '/b', {
      owner: owner(5, 5, 0o700, { user: true, group: false, mode: true }),
    });
    const m = model([implicit, named]);
    const plan = buildPlan(
      m,
      observed(m, {
        '/persist': dir(),
        '/persist/a': dir(),
        '/persist/b': dir(),
        '/a': dir(),
        '/b': dir(),
      }),
    );
    assert.deepEqual(kinds(plan.actions), [
      'bind /a',
      'chown /persist/b',
      'chmod /persist/b',
      'bind /b',
    ]);
  });

  it('needs no mount for a nested entry from the same store, and slaves a parent of another store', () => {
    const parent = entry('directory', '/data');
    const same = entry('directory', '/data/same');
    const other = entry('directory', '/data/other', { storeRoot: '/state' });
    const m = model([other, same, parent]);
    const plan = buildPlan(m, observed(m, { '/persist': dir(), '/state': dir() }));
    const binds = plan.actions.filter((a) => a.kind === 'bind');
    assert.deepEqual(
      binds.map((b) => [b.target, b.propagation]),
      [
        ['/data', 'slave'],
        ['/data/other', undefined],
      ],
    );
    assert.equal(plan.entries.find((e) => e.id === same.id)!.mechanism, 'covered');
    // the nested mount point is created once, where the parent bind shows it: in its store
    assert.ok(kinds(plan.actions).includes('mkdir /persist/data/other'));
    assert.ok(
      kinds(plan.actions).indexOf('bind /data') <
        kinds(plan.actions).indexOf('mkdir /persist/data/other'),
    );
  });

  it('does not let a refused entry leave planned directories behind for later ones', () => {
    const a = entry('directory', '/data/x/a');
    const b = entry('directory', '/data/y/z/w'); // deeper, so planned after `a`
    const m = model([a, b]);
    // /data/x is a file at the target: `a` is refused after its store side was planned
    const plan = buildPlan(
      m,
      observed(m, { '/persist': dir(), '/data': dir(), '/data/x': file(3) }),
    );
    assert.equal(plan.entries.find((e) => e.id === a.id)!.state, 'refused');
    assert.deepEqual(kinds(plan.actions), [
      'mkdir /persist/data',
      'mkdir /persist/data/y',
      'mkdir /persist/data/y/z',
      'mkdir /persist/data/y/z/w',
      'mkdir /data/y',
      'mkdir /data/y/z',
      'mkdir /data/y/z/w',
      'bind /data/y/z/w',
    ]);
  });

  it('refuses a store that lies on the tmpfs root', () => {
    const m = model([entry('directory', '/var/log')]);
    const mounts = [{ ...mount('/', '0:20', '/', { fsType: 'tmpfs' }), id: 1, parentId: 0 }];
    const plan = buildPlan(m, observed(m, { '/persist': dir() }, { mounts }));
    assert.equal(plan.problems[0]!.code, 'store-not-persistent');
    assert.deepEqual(plan.actions, []);
  });
});

describe('planning a file', () => {
  it('binds a stored file onto an empty placeholder', () => {
    const m = model([entry('file', '/etc/ssh/key')]);
    const plan = buildPlan(
      m,
      observed(m, {
        '/persist': dir(),
        '/persist/etc': dir(),
        '/persist/etc/ssh': dir(),
        '/persist/etc/ssh/key': file(10, { mode: 0o600 }),
        '/etc': dir(),
      }),
    );
    assert.deepEqual(kinds(plan.actions), [
      'mkdir /etc/ssh',
      'create-file /etc/ssh/key',
      'bind /etc/ssh/key',
    ]);
    const placeholder = plan.actions[1]!;
    assert.ok(
      placeholder.kind === 'create-file' &&
        placeholder.mode === 0o600 &&
        placeholder.content === '',
    );
  });

  it('links into the store when the stored file does not exist yet', () => {
    const m = model([entry('file', '/root/.bash_history')]);
    const plan = buildPlan(m, observed(m, { '/persist': dir(), '/root': dir() }));
    assert.deepEqual(kinds(plan.actions), ['mkdir /persist/root', 'symlink /root/.bash_history']);
    assert.equal(plan.entries[0]!.mechanism, 'symlink');
    // Why a link now and a bind after the next boot, in the step itself.
    const made = plan.actions.at(-1)!;
    assert.ok(made.kind === 'symlink');
    assert.match(
      made.reason,
      /does not exist yet: .* is a link until a program writes it there, and is bound from the next boot on/,
    );
  });

  it('names what makes a host key that is not stored yet', () => {
    const m = model([entry('file', '/etc/ssh/ssh_host_ed25519_key')]);
    const plan = buildPlan(m, observed(m, { '/persist': dir(), '/etc': dir(), '/etc/ssh': dir() }));
    const made = plan.actions.find((a) => a.kind === 'symlink');
    assert.ok(made?.kind === 'symlink');
    assert.match(
      made.reason,
      /keepsake-ssh-host-keys\.service .* makes host keys at boot, or run: mkdir -p \/persist\/etc\/ssh && ssh-keygen -A -f \/persist$/,
    );
  });

  it('seeds /etc/machine-id so systemd commits its id into the store', () => {
    const m = model([entry('file', '/etc/machine-id')]);
    const plan = buildPlan(m, observed(m, { '/persist': dir(), '/etc': dir() }));
    const seed = plan.actions.find((a) => a.kind === 'create-file' && a.side === 'store');
    assert.ok(seed?.kind === 'create-file' && seed.content === MACHINE_ID_SEED);
    assert.equal(plan.entries[0]!.mechanism, 'seed-and-bind');
  });

  describe('when the system already booted with a machine id (service mode)', () => {
    const ID = '0123456789abcdef0123456789abcdef';
    const STORED = 'fedcba9876543210fedcba9876543210';
    const boot = (
      store: Record<string, ReturnType<typeof file>>,
      texts: Record<string, string>,
    ) => {
      const m = model([entry('file', '/etc/machine-id')]);
      return buildPlan(
        m,
        observed(
          m,
          {
            '/persist': dir(),
            '/persist/etc': dir(),
            '/etc': dir(),
            '/etc/machine-id': file(33),
            ...store,
          },
          { texts: { '/etc/machine-id': `${ID}\n`, ...texts } },
        ),
      );
    };

    it('keeps the running id in the store on the first boot', () => {
      const plan = boot({}, {});
      assert.deepEqual(plan.problems, []);
      const seed = plan.actions.find((a) => a.kind === 'create-file');
      assert.ok(seed?.kind === 'create-file' && seed.side === 'store');
      assert.equal(seed.content, `${ID}\n`);
      assert.equal(seed.mode, 0o444);
      assert.deepEqual(kinds(plan.actions), [
        'create-file /persist/etc/machine-id',
        'bind /etc/machine-id',
      ]);
      assert.deepEqual(plan.warnings, []);
    });

    it('binds the stored id over a fresh one, with a warning naming both', () => {
      const plan = boot(
        { '/persist/etc/machine-id': file(33) },
        { '/persist/etc/machine-id': `${STORED}\n` },
      );
      assert.deepEqual(plan.problems, []);
      assert.deepEqual(kinds(plan.actions).at(-1), 'bind /etc/machine-id');
      const w = plan.warnings.find((d) => d.code === 'machine-id-late');
      assert.ok(w, 'warned');
      assert.match(w.message, new RegExp(`${ID}.*${STORED}`));
      assert.match(w.hint ?? '', new RegExp(`systemd.machine_id=${STORED}`));
    });

    it('is quiet when the ids agree', () => {
      const plan = boot({ '/persist/etc/machine-id': file(33) }, { '/persist/etc/machine-id': ID });
      assert.deepEqual(plan.warnings, []);
      assert.deepEqual(kinds(plan.actions), ['bind /etc/machine-id']);
    });

    it("replaces systemd's transient id (a first boot: /run/machine-id bound on the target)", () => {
      const m = model([entry('file', '/etc/machine-id')]);
      const transient = mount('/etc/machine-id', '0:25', '/machine-id', {
        fsType: 'tmpfs',
        source: 'tmpfs',
      });
      const plan = buildPlan(
        m,
        observed(
          m,
          { '/persist': dir(), '/persist/etc': dir(), '/etc': dir(), '/etc/machine-id': file(33) },
          { texts: { '/etc/machine-id': `${ID}\n` }, mounts: [...baseMounts(), transient] },
        ),
      );
      assert.deepEqual(plan.problems, []);
      // The transient bind shares mount events with /run/machine-id: a bind on top of it would
      // show there too. It is taken down first (and bound back if the apply fails).
      assert.deepEqual(kinds(plan.actions), [
        'create-file /persist/etc/machine-id',
        'unmount /etc/machine-id',
        'bind /etc/machine-id',
      ]);
      const unmount = plan.actions.find((a) => a.kind === 'unmount');
      assert.equal(unmount?.kind === 'unmount' && unmount.source, '/run/machine-id');
      // Any other file system on the target is still refused.
      const other = buildPlan(
        m,
        observed(
          m,
          { '/persist': dir(), '/persist/etc': dir(), '/etc': dir(), '/etc/machine-id': file(33) },
          {
            texts: { '/etc/machine-id': `${ID}\n` },
            mounts: [...baseMounts(), { ...transient, root: '/elsewhere' }],
          },
        ),
      );
      assert.equal(other.problems[0]?.code, 'foreign-mount');
    });

    it('refuses a stored seed it cannot honour any more, changing nothing', () => {
      const plan = boot(
        { '/persist/etc/machine-id': file(14) },
        { '/persist/etc/machine-id': MACHINE_ID_SEED },
      );
      assert.equal(plan.problems[0]?.code, 'machine-id-unset');
      assert.match(plan.problems[0]!.hint, /rm \/persist\/etc\/machine-id/);
    });
  });

  it('refuses a non-empty file at the target', () => {
    const m = model([entry('file', '/etc/hostid')]);
    const plan = buildPlan(
      m,
      observed(m, { '/persist': dir(), '/etc': dir(), '/etc/hostid': file(4) }),
    );
    assert.equal(plan.problems[0]!.code, 'target-has-data');
  });

  it('accepts a link to the store that is already there', () => {
    const m = model([entry('file', '/root/.lesshst')]);
    const plan = buildPlan(
      m,
      observed(m, {
        '/persist': dir(),
        '/root': dir(),
        '/root/.lesshst': link('/persist/root/.lesshst'),
      }),
    );
    assert.deepEqual(plan.actions, []);
    assert.equal(plan.entries[0]!.live, 'linked');
  });
});

describe('plans are data', () => {
  it('round-trips through JSON', () => {
    const m = model([
      entry('directory', '/var/log', { hideMount: true }),
      entry('file', '/etc/machine-id'),
    ]);
    const plan = buildPlan(m, observed(m, { '/persist': dir() }));
    assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
    assert.ok(plan.actions.some((a) => a.kind === 'utab'));
  });

  it('works under a --root prefix with system paths in actions', () => {
    const m = model([entry('directory', '/var/log')]);
    const mounts = [
      { ...mount('/', '8:1'), id: 1, parentId: 0 },
      mount('/sysroot', '8:3'),
      mount('/sysroot/persist', '8:2'),
    ];
    const plan = buildPlan(m, observed(m, { '/persist': dir() }, { root: '/sysroot', mounts }));
    assert.deepEqual(kinds(plan.actions).at(-1), 'bind /var/log');
    assert.equal(plan.root, '/sysroot');
  });
});

describe('adoption', () => {
  const adoptions = (m: ReturnType<typeof model>, paths: Parameters<typeof observed>[1]) => {
    const plan = buildPlan(
      m,
      observed(m, paths, {
        contents: {
          '/srv': { files: 2, directories: 0, bytes: 9, sample: ['a'], truncated: false },
        },
      }),
      undefined,
      {
        adopt: true,
        backupTag: 'T',
      },
    );
    return plan;
  };

  it('moves data into a store that is missing or empty, and sets it aside beside a full one', () => {
    const m = model([entry('directory', '/srv')]);
    const full = { '/persist': dir(), '/srv': dir({ empty: false }) };
    const missing = adoptions(m, full);
    assert.deepEqual(
      missing.adopted.map((a) => [a.to, a.how, a.files]),
      [['/persist/srv', 'into-store', 2]],
    );
    const empty = adoptions(m, { ...full, '/persist/srv': dir({ empty: true }) });
    assert.deepEqual(
      empty.adopted.map((a) => [a.to, a.how]),
      [['/persist/srv', 'into-store']],
    );
    const both = adoptions(m, { ...full, '/persist/srv': dir({ empty: false }) });
    assert.deepEqual(
      both.adopted.map((a) => [a.to, a.how]),
      [['/persist/.keepsake/backup/T/srv', 'backup']],
    );
    // and then the usual bind, onto the emptied directory
    assert.deepEqual(kinds(both.actions), ['adopt /srv', 'bind /srv', 'adopt-finish /srv']);
  });

  it('adopts only where asked, and a file too', () => {
    const m = model([entry('directory', '/srv'), entry('file', '/etc/hostid', { adopt: true })]);
    const plan = buildPlan(
      m,
      observed(m, {
        '/persist': dir(),
        '/srv': dir({ empty: false }),
        '/etc': dir(),
        '/etc/hostid': file(4),
      }),
    );
    assert.deepEqual(
      plan.problems.map((p) => [p.entry, p.code]),
      [['directory:/srv', 'target-has-data']],
    );
    assert.deepEqual(
      plan.adopted.map((a) => [a.from, a.to, a.how]),
      [['/etc/hostid', '/persist/etc/hostid', 'into-store']],
    );
  });
});

describe('adoption with links', () => {
  it('moves a file in the way of a link into the store, then links', () => {
    const m = model([entry('file', '/root/.history', { method: 'symlink', adopt: true })]);
    const plan = buildPlan(
      m,
      observed(m, { '/persist': dir(), '/root': dir(), '/root/.history': file(10) }),
    );
    assert.deepEqual(plan.problems, []);
    assert.deepEqual(kinds(plan.actions), [
      'mkdir /persist/root',
      'adopt /root/.history',
      'adopt-finish /root/.history',
      'symlink /root/.history',
    ]);
  });
});

describe('propagation of an existing parent', () => {
  it('makes a shared parent bind a slave once another store is nested in it, and only then', () => {
    const parent = entry('directory', '/data');
    const child = entry('directory', '/data/inner', { storeRoot: '/state' });
    const m = model([parent, child]);
    const paths = { '/persist': dir(), '/persist/data': dir(), '/state': dir(), '/data': dir() };
    const mounts = (prop: string[]) => [
      ...baseMounts(),
      mount('/state', '8:3'),
      mount('/data', '8:2', '/data', { propagation: prop }),
    ];
    const shared = buildPlan(m, observed(m, paths, { mounts: mounts(['shared:5']) }));
    assert.ok(kinds(shared.actions).includes('propagation /data'));
    const slave = buildPlan(m, observed(m, paths, { mounts: mounts(['shared:7', 'master:5']) }));
    assert.ok(!kinds(slave.actions).includes('propagation /data'));
    const alone = buildPlan(
      model([parent]),
      observed(model([parent]), paths, { mounts: mounts(['shared:5']) }),
    );
    assert.deepEqual(alone.actions, []);
  });
});
