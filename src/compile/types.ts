// What compiled mode produces: files for a directory the administrator names (plain data, so
// the one writer can put them anywhere and tests can read them without a disk).

import type { Diagnostic } from '../model/types.js';

/** One file of the output, relative to OUTDIR (or to a unit directory). */
export interface CompiledFile {
  /** e.g. `system/var-log.mount` or `system/local-fs.target.wants/keepsake.target`. */
  path: string;
  /** The text of the file; empty for a symbolic link. */
  content: string;
  /** Set for a symbolic link: what it points to (relative, so the tree can be copied). */
  symlink?: string;
}

export interface CompiledOutput {
  files: CompiledFile[];
  /** What compiled mode does differently from `keepsake apply` for this configuration. */
  warnings: Diagnostic[];
}

/** The file system a store lives on, mounted by a unit of its own (`--store-device`). */
export interface StoreDevice {
  /** The store's path, e.g. `/persist`. */
  store: string;
  /** The device, e.g. `/dev/disk/by-label/persist`. */
  what: string;
  /** e.g. `ext4`; mount(8) detects it when absent. */
  fsType?: string;
}

export interface CompileOptions {
  /** Units for the initrd: every path under `/sysroot`, mounted before the switch to it. */
  initrd: boolean;
  storeDevices: StoreDevice[];
}

/** One tmpfiles.d line of the prepare service. `enforce` says which of owner and mode are
 *  set on an existing path too (what the configuration names); the rest only on creation. */
export type TmpfilesRule =
  | {
      type: 'd' | 'f';
      path: string;
      uid: number;
      gid: number;
      mode: number;
      enforce: { user: boolean; group: boolean; mode: boolean };
      /** For `f`: what a created file holds (written only when the file is created). */
      content?: string;
    }
  | { type: 'L'; path: string; to: string }
  | {
      /** Copied from `from` when missing (the running machine id into the store). */
      type: 'C';
      path: string;
      from: string;
      uid: number;
      gid: number;
      mode: number;
      enforce: { user: boolean; group: boolean; mode: boolean };
    };
