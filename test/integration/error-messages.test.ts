// What the user sees when the system says no: one message with the path and a hint, and a
// JavaScript stack trace only with --debug.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireNamespaces } from '../helpers/boot.js';
import { filesConfig, homesOfSuite, inspected, ran } from '../helpers/home.js';

const skip = requireNamespaces();
const testHome = homesOfSuite((h) => {
  h.write('dotfiles/ssh_config', 'Host *\n');
});

const STACK = /^\s+at .+:\d+:\d+\)?$/m;

describe('a permission the user lacks', { skip }, () => {
  it('home apply with a home store the user may not write: path, hint, exit 1, nothing linked', () => {
    const h = testHome();
    h.setConfig(filesConfig('.ssh/config: { source: ./dotfiles/ssh_config }'));
    // The store belongs to root: the user's own run cannot make its generations there.
    const [, apply, debug, state] = h.run([
      { do: 'sh', cmd: 'mkdir -p -m 755 "$DIR/store/hm"' },
      { do: 'user', args: ['home', 'apply'] },
      { do: 'user', args: ['home', 'apply', '--debug'] },
      { do: 'inspect', paths: ['~/.ssh/config'] },
    ]);
    const r = ran(apply);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /keepsake: .*permission denied \(EACCES\)/);
    assert.match(r.stderr, /store\/hm/);
    assert.match(r.stderr, /hint: .*chown -R tester/);
    assert.doesNotMatch(r.stderr, STACK);
    assert.equal(r.stderr.trim().split('\n').length, 2, r.stderr);
    // --debug adds the stack trace, and only that.
    assert.equal(ran(debug).status, 1);
    assert.match(ran(debug).stderr, STACK);
    assert.equal(inspected(state)['~/.ssh/config']!.type, 'missing');
  });
});
