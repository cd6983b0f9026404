// What a path is, as tests compare it: type, owner, mode, and the link, content or names.

import * as fs from 'node:fs';

export function inspect(p: string) {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return { type: 'missing' };
  }
  const type = st.isSymbolicLink()
    ? 'symlink'
    : st.isDirectory()
      ? 'directory'
      : st.isFile()
        ? 'file'
        : 'other';
  return {
    type,
    uid: st.uid,
    gid: st.gid,
    mode: (st.mode & 0o7777).toString(8).padStart(4, '0'),
    ...(type === 'symlink' ? { link: fs.readlinkSync(p) } : {}),
    ...(type === 'file' ? { content: fs.readFileSync(p, 'utf8') } : {}),
    ...(type === 'directory' ? { names: fs.readdirSync(p).sort() } : {}),
  };
}
