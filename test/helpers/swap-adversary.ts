// An adversary for apply: swaps a directory with a link to somewhere else, over and over
// (rename the directory away, put the link in its place, take the link out, rename the
// directory back), until the stop file appears; then leaves the directory where it was and
// prints how many swaps it made.
//
//   node swap-adversary.js <dir> <link target> <stop file>

import * as fs from 'node:fs';

const [dir, to, stop] = process.argv.slice(2) as [string, string, string];
const away = `${dir}.away`;
let swaps = 0;
let refused = 0;

const isLink = (p: string) => {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
};

/** Back as found: the link out, the directory in place (over an empty one made meanwhile). */
function restore(): boolean {
  if (isLink(dir)) fs.unlinkSync(dir);
  if (!fs.existsSync(away)) return true;
  try {
    fs.renameSync(away, dir);
    return true;
  } catch {
    return false; // something not empty was made at `dir` meanwhile: both stay
  }
}

for (let i = 0; ; i++) {
  if ((i & 15) === 0 && fs.existsSync(stop)) break;
  try {
    fs.renameSync(dir, away);
  } catch {
    refused++;
    continue;
  }
  try {
    fs.symlinkSync(to, dir);
  } catch {
    refused++; // something was made at `dir` in between
  }
  swaps++;
  if (!restore()) break;
}
const restored = restore();
process.stdout.write(`${JSON.stringify({ swaps, refused, restored })}\n`);
