// What kind of file an lstat found, in the words reports use.

import type * as fs from 'node:fs';

export type NodeKind = 'file' | 'directory' | 'symlink' | 'other';

export function kindOf(st: fs.Stats): NodeKind {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'file';
  return 'other';
}
