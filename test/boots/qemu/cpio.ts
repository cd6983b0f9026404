// Adds files to an initrd without rebuilding it: the kernel unpacks concatenated initramfs
// archives in order, so an uncompressed newc archive appended to dracut's image (at a 4-byte
// boundary) lays its files over dracut's.
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Entry {
  name: string;
  mode: number;
  data: Buffer;
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;

function header(e: Entry, ino: number): Buffer {
  const name = Buffer.from(`${e.name}\0`);
  const fields = [
    ino,
    e.mode,
    0, // uid
    0, // gid
    (e.mode & 0o170000) === 0o040000 ? 2 : 1, // nlink
    0, // mtime
    e.data.length,
    0,
    0,
    0,
    0, // dev and rdev major/minor
    name.length,
    0, // check
  ];
  const text = `070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`;
  return Buffer.concat([Buffer.from(text), name, Buffer.alloc(pad4(110 + name.length))]);
}

/** A newc archive of the entries, in order, owned by root, ending with the trailer. */
function archive(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((e, i) => {
    parts.push(header(e, i + 1), e.data, Buffer.alloc(pad4(e.data.length)));
  });
  parts.push(header({ name: 'TRAILER!!!', mode: 0, data: Buffer.alloc(0) }, 0));
  return Buffer.concat(parts);
}

/** Every directory, file and link under `dir`, parents before children, named relative to it. */
function entriesOf(dir: string): Entry[] {
  const out: Entry[] = [];
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const relPath = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, relPath);
      const st = fs.lstatSync(full);
      if (st.isDirectory()) {
        // The kernel applies a directory's mode to one that exists already (/etc, say).
        out.push({ name: relPath, mode: 0o040755, data: Buffer.alloc(0) });
        walk(relPath);
      } else if (st.isSymbolicLink()) {
        out.push({ name: relPath, mode: st.mode, data: Buffer.from(fs.readlinkSync(full)) });
      } else if (st.isFile()) {
        out.push({ name: relPath, mode: st.mode, data: fs.readFileSync(full) });
      } else {
        throw new Error(`${full}: only directories, files and links go into the initrd`);
      }
    }
  };
  walk('');
  return out;
}

/** Writes `out`: the initrd `base` followed by an archive of the tree at `overlay`. */
export function initrdWithOverlay(base: string, overlay: string, out: string): void {
  const image = fs.readFileSync(base);
  fs.writeFileSync(
    out,
    Buffer.concat([image, Buffer.alloc(pad4(image.length)), archive(entriesOf(overlay))]),
  );
}
