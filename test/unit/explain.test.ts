// Errors that escape to the command line become one line with the path, and a hint.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { explain } from '../../src/cli/explain.js';
import { InternalError, LockedError, SystemError } from '../../src/errors.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('did not throw');
}

describe('explain', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-explain-'));
  fs.writeFileSync(`${dir}/file`, '');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a Node errno error: the operation, the path, the errno in words, a hint', () => {
    const e = explain(thrown(() => fs.openSync(`${dir}/missing/x`, 'r')));
    assert.ok(e instanceof SystemError);
    assert.equal(e.message, `cannot open '${dir}/missing/x': no such file or directory (ENOENT)`);
    assert.equal(e.errno, 'ENOENT');
    assert.match(e.hint ?? '', /does not exist/);
    const notDir = explain(thrown(() => fs.mkdirSync(`${dir}/file/sub`)));
    assert.match(notDir.message, /^cannot mkdir '.*\/file\/sub': not a directory \(ENOTDIR\)$/);
    assert.match(notDir.hint ?? '', /not a directory/);
  });

  it("keepsake's own words quoting an errno are kept, with the errno's hint", () => {
    const e = explain(
      new Error(
        `${dir}/keepsake.yaml: cannot write the configuration file: EROFS: read-only file system, open '${dir}/.tmp'`,
      ),
    );
    assert.ok(e instanceof SystemError);
    assert.match(e.message, /cannot write the configuration file/);
    assert.match(e.hint ?? '', /read-only: remount it read-write/);
    const caused = explain(new Error('saving failed', { cause: thrown(() => fs.rmdirSync(dir)) }));
    assert.equal((caused as SystemError).errno, 'ENOTEMPTY');
  });

  it('keepsake errors pass through; anything else is internal, one line, pointing at --debug', () => {
    const locked = new LockedError('/', 'pid 1');
    assert.equal(explain(locked), locked);
    const e = explain(new TypeError("Cannot read properties of undefined (reading 'x')\nmore"));
    assert.ok(e instanceof InternalError);
    assert.equal(e.message, "Cannot read properties of undefined (reading 'x')");
    assert.match(e.hint ?? '', /--debug/);
    assert.ok(explain('a string') instanceof InternalError);
  });
});
