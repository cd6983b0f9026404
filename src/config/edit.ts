import { readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parseDocument } from 'yaml';
import { ConfigEditError, ConfigError, KeepsakeError, SystemError } from '../errors.js';
import { AtomicWriteError, replaceFile } from '../system/atomic-write.js';
import { type AddRequest, classicOwnersIn, expectedData, planAdd, sameData } from './edit-plan.js';
import { editTomlText } from './edit-toml.js';
import { editYamlText } from './edit-yaml.js';
import { formatOf, parseText } from './load.js';
import { checkStrictJson } from './strict-json.js';

export type { AddRequest, EditPlan } from './edit-plan.js';

type Format = 'yaml' | 'toml' | 'json';

/** The data the text holds, as the loader reads it; throws on syntax errors. */
function parseData(text: string, format: Format): unknown {
  if (format === 'toml') {
    try {
      return parseToml(text);
    } catch (error) {
      throw unparsable(firstLine(error));
    }
  }
  if (format === 'json') {
    if (text.trim() === '') return null;
    const problem = checkStrictJson(text);
    if (problem !== undefined) {
      throw unparsable(problem.message);
    }
  }
  const doc = parseDocument(text, { uniqueKeys: true, strict: true });
  if (doc.errors.length > 0) {
    throw unparsable(firstLine(doc.errors[0]));
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw unparsable(firstLine(error));
  }
}

/**
 * The loader's own reading first: the same limits (size, values after aliases, nesting) bound
 * the editor's work, and the same problems are found before anything is edited.
 */
function checkReadable(text: string, format: Format): void {
  // An empty JSON file is edited as an empty configuration.
  if (format === 'json' && text.trim() === '') return;
  try {
    parseText(text, 'the configuration', format);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const d = error.diagnostics[0];
    // Syntax errors are reported by the editor's own parse, in its words.
    if (d?.code.endsWith('-syntax') === true) return;
    throw new ConfigEditError(
      `the configuration cannot be read: ${(d?.message ?? error.message).replace(/^the configuration: /, '')}`,
      d?.hint ?? 'run keepsake check to see why, fix the file, then try again',
    );
  }
}

function unparsable(reason: string): ConfigEditError {
  return new ConfigEditError(
    `the configuration does not parse: ${reason}`,
    'run keepsake check to see where, fix the file, then try again',
  );
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^Invalid TOML document: /, '').split('\n')[0] ?? message;
}

/**
 * `text` with `req.path` appended to `persistence.<location>.directories` (or `files`, or
 * `persistence.<location>.users.<user>.…`), creating the levels that are missing, in the style
 * the file already uses; the text unchanged when the entry is already listed. Throws an Error
 * when the file does not parse, when its shape makes the edit impossible (e.g. `persistence`
 * is a list), or when the request is invalid (e.g. a relative system path).
 */
export function addEntryToConfigText(text: string, format: Format, req: AddRequest): string {
  // A byte order mark is not content; it is kept.
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const src = text.slice(bom.length);
  checkReadable(src, format);
  const data = parseData(src, format);
  const plan = planAdd(data, req);
  if (plan.duplicate) return text;
  const accept = (candidate: string, item: unknown): boolean => {
    let after: unknown;
    try {
      after = parseData(candidate, format);
    } catch {
      return false;
    }
    return sameData(after, expectedData(data, plan, item));
  };
  if (format === 'toml') return bom + editTomlText(src, plan, accept);
  const edited = editYamlText(src, format, plan);
  if (!accept(edited, plan.value)) {
    throw new ConfigEditError(
      `cannot add ${JSON.stringify(plan.value)} to the configuration: the edit would not read back as intended`,
    );
  }
  return bom + edited;
}

/**
 * The users whose own storage directory (`users.<user>.persistence.<key>`, Home Manager's
 * classic layout) `location` names in `text`; none when the file does not parse.
 */
export function classicOwners(text: string, format: Format, location: string): string[] {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return classicOwnersIn(parseData(src, format), location);
  } catch {
    return [];
  }
}

/**
 * Add an entry to a configuration file (format by extension), writing it atomically (a
 * temporary file in the same directory, renamed over it, with the original's mode and owner)
 * when it changes. A symbolic link is followed: the file it points to is replaced.
 */
export function addEntryToConfigFile(
  file: string,
  req: AddRequest,
): { before: string; after: string } {
  const format = formatOf(file);
  if (format === undefined) {
    throw new ConfigEditError(
      `${file}: cannot tell the configuration format; expected .yaml, .yml, .toml or .json`,
      'rename the file so that it ends in .yaml, .yml, .toml or .json',
    );
  }
  // The file's name leads every message; the error keeps its type, and its hint.
  const fail = (what: string, error: unknown): never => {
    const message = `${file}: ${what}${error instanceof Error ? error.message : String(error)}`;
    if (error instanceof KeepsakeError && !(error instanceof ConfigEditError)) throw error;
    if (error instanceof ConfigEditError) throw new ConfigEditError(message, error.hint);
    const errno = (error as NodeJS.ErrnoException).code ?? 'EIO';
    const syscall = (error as NodeJS.ErrnoException).syscall ?? 'open';
    throw new SystemError(syscall, errno, file, message, 'check the path and its permissions');
  };
  let before = '';
  try {
    before = readFileSync(file, 'utf8');
  } catch (error) {
    fail('cannot read the configuration file: ', error);
  }
  let after = before;
  try {
    after = addEntryToConfigText(before, format, req);
  } catch (error) {
    fail('', error);
  }
  if (after !== before) {
    try {
      writeAtomically(realpathSync(file), after);
    } catch (error) {
      fail('cannot write the configuration file: ', error);
    }
  }
  return { before, after };
}

/**
 * Replace `target` with `text`, keeping the original's owner and mode (system/atomic-write.ts).
 * The path is followed as given: the configuration is the administrator's own file, and it
 * may well sit behind a link into the store.
 */
function writeAtomically(target: string, text: string): void {
  const st = statSync(target);
  try {
    replaceFile(dirname(target), basename(target), text, {
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
    });
  } catch (thrown) {
    throw thrown instanceof AtomicWriteError ? thrown.error : thrown;
  }
}
