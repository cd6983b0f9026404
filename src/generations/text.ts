// The bytes of the records an apply writes, built from small pieces encoded straight into the
// one buffer each file is written from: no text of a whole record, or of any large list, is
// ever made. On a large configuration, making megabytes of text (and collecting it again)
// cost more than the JSON itself; a list of small texts encodes at memory speed. Each large
// value is encoded once: the model is the same in the live record and in the history record,
// the actions of a first apply are the same in the generation and in its plan, and an
// action's text is the one its --json line already carried.
//
// The result is byte for byte the UTF-8 of what JSON.stringify makes of the whole object: an
// object's text is its keys in Object.keys order, each `"key":value` with the value as
// JSON.stringify makes it, those whose value has no JSON text (undefined, a function) left
// out; an array's is its items' texts joined by commas, `null` for an item with no text.
// Records are plain data (no toJSON, no getters, no cycles), so joining the texts of the
// parts is exactly stringifying the whole.

import type { Generation } from '../plan/generation.js';
import type { Action } from '../plan/types.js';

/** A piece of JSON text, or JSON already encoded. */
type Piece = string | Buffer;

const actionTexts = new WeakMap<Action, string>();

/**
 * JSON.stringify(action), made once per action and kept for the records of the run.
 * Invariant: a plan's actions are never changed once it is built (the executor changes only
 * their outcomes), so an action's text stays its text for the whole run.
 */
export function actionText(action: Action): string {
  let text = actionTexts.get(action);
  if (text === undefined) {
    text = JSON.stringify(action);
    actionTexts.set(action, text);
  }
  return text;
}

/** JSON.stringify of an array item: `null` where the item has no JSON text. */
const itemText = (item: unknown): string => JSON.stringify(item) ?? 'null';

/** The UTF-8 of `[t0,t1,...]` for the texts of `items`, each made by `textOf`. */
function arrayBytes<T>(items: readonly T[], textOf: (item: T) => string): Buffer {
  const texts = new Array<string>(items.length);
  let size = 2 + Math.max(0, items.length - 1);
  for (let i = 0; i < items.length; i++) {
    const t = textOf(items[i]!);
    texts[i] = t;
    size += Buffer.byteLength(t);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  out[at++] = 0x5b; // [
  for (let i = 0; i < texts.length; i++) {
    if (i > 0) out[at++] = 0x2c; // ,
    at += out.write(texts[i]!, at);
  }
  out[at++] = 0x5d; // ]
  // Every byte is written: the size is the sum of the pieces' (nothing of the uninitialised
  // memory can reach the file).
  if (at !== size) throw new Error(`record encoding: ${at} bytes written of ${size}`);
  return out;
}

/**
 * The pieces of `{ ...value, ...texts }` where `texts` holds values already as pieces:
 * `value`'s keys in their order, each with its pieces from `texts` when there are some, then
 * the keys only `texts` has.
 */
function objectPieces(value: object, texts: Readonly<Record<string, Piece[]>>): Piece[] {
  const out: Piece[] = ['{'];
  const own = value as Record<string, unknown>;
  const add = (key: string, pieces: Piece[]) => {
    out.push(`${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:`, ...pieces);
  };
  for (const key of Object.keys(own)) {
    if (Object.hasOwn(texts, key)) add(key, texts[key]!);
    else {
      // JSON.stringify gives undefined for what JSON has no text for: the key is left out.
      const text = JSON.stringify(own[key]) as string | undefined;
      if (text !== undefined) add(key, [text]);
    }
  }
  for (const key of Object.keys(texts)) if (!Object.hasOwn(own, key)) add(key, texts[key]!);
  out.push('}');
  return out;
}

/** The pieces, and a final newline when asked, in one buffer. */
function bytesOf(pieces: Piece[], newline: boolean): Buffer {
  const sizes = pieces.map((p) => (typeof p === 'string' ? Buffer.byteLength(p) : p.length));
  let size = newline ? 1 : 0;
  for (const s of sizes) size += s;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    if (typeof p === 'string') out.write(p, at);
    else out.set(p, at);
    at += sizes[i]!;
  }
  if (newline) out[at] = 0x0a;
  return out;
}

/** A large list as one encoded piece; anything else as JSON.stringify makes it. */
function listPieces<T>(value: unknown, textOf: (item: T) => string): Piece[] | undefined {
  return Array.isArray(value) ? [arrayBytes(value as T[], textOf)] : undefined;
}

/** What the next apply of this boot needs of a generation's actions: those that made
 *  something it may take down. */
export function liveActions(actions: readonly Action[]): Action[] {
  return actions.filter(
    (a) =>
      ((a.kind === 'mkdir' || a.kind === 'create-file') && a.side === 'target') ||
      a.kind === 'symlink',
  );
}

/** The plan's lists the live record leaves empty (the next apply plans anew). */
const EMPTIED = { entries: ['[]'], actions: ['[]'], released: ['[]'], adopted: ['[]'] };

function sameItems(a: readonly Action[], b: readonly Action[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `texts` with the entries of `key` given when `pieces` are. */
function maybe(texts: Record<string, Piece[]>, key: string, pieces: Piece[] | undefined) {
  if (pieces !== undefined) texts[key] = pieces;
  return texts;
}

/**
 * The two records of generation `g`, each as the bytes of its file (with its final newline):
 * - `history()`: `JSON.stringify(g)`, the whole record each store keeps;
 * - `live()`: what `<root>/run/keepsake/applied.json` keeps, i.e. JSON.stringify of
 *   `{ ...g, actions: liveActions(g.actions), plan: { ...g.plan, entries: [], actions: [],
 *   released: [], adopted: [] } }`.
 * The model is encoded once for both.
 */
export function generationRecords(g: Generation): { live(): Buffer; history(): Buffer } {
  let model: Buffer | undefined;
  const withModel = (texts: Record<string, Piece[]>): Record<string, Piece[]> => {
    // A generation without a model (none is) keeps JSON.stringify's answer: no key.
    if (g.model === undefined || g.model === null || typeof g.model !== 'object') return texts;
    model ??= bytesOf(
      objectPieces(g.model, maybe({}, 'entries', listPieces(g.model.entries, itemText))),
      false,
    );
    return { model: [model], ...texts };
  };
  const actionsOf = (list: unknown) => listPieces(list, actionText);
  return {
    live: () =>
      bytesOf(
        objectPieces(
          g,
          withModel({
            actions: [arrayBytes(liveActions(g.actions), actionText)],
            plan: objectPieces(g.plan, EMPTIED),
          }),
        ),
        true,
      ),
    history: () => {
      const planActions = actionsOf(g.plan.actions);
      // This apply's set-up alone, the usual first apply: one encoding for both lists.
      const same =
        planActions !== undefined &&
        Array.isArray(g.actions) &&
        sameItems(g.actions, g.plan.actions);
      const actions = same ? planActions : actionsOf(g.actions);
      const plan = objectPieces(
        g.plan,
        maybe(maybe({}, 'actions', planActions), 'entries', listPieces(g.plan.entries, itemText)),
      );
      return bytesOf(objectPieces(g, maybe(withModel({ plan }), 'actions', actions)), true);
    },
  };
}
