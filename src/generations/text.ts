// The bytes of the records an apply writes, built from a few large pieces so that each large
// value is stringified once and no text of a whole record is ever made: the model is the same
// in the live record and in the history record, and the actions of a first apply are the same
// in the generation and in its plan. The pieces are encoded, a step at a time, into the one
// small buffer files are written from (system/file-content.ts). On a large configuration,
// making megabytes of text twice (and joining and collecting it) cost more than the JSON
// itself. The pieces stay few and large on purpose: JSON.stringify is native code, as fast in
// a run's only call as ever, while a loop over thousands of items in JavaScript runs cold in a
// process that applies once and exits.
//
// The result is byte for byte the UTF-8 of what JSON.stringify makes of the whole object: an
// object's text is its keys in Object.keys order, each `"key":value` with the value as
// JSON.stringify makes it, those whose value has no JSON text (undefined, a function) left
// out. Records are plain data (no toJSON, no getters, no cycles), so joining the texts of the
// parts is exactly stringifying the whole.

import type { Generation } from '../plan/generation.js';
import type { Action } from '../plan/types.js';
import type { TextPieces } from '../system/file-content.js';
import { modelText } from './model-text.js';

/** A piece of JSON text. A value used in both records is one text, encoded into each. */
type Piece = string;

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

/** The pieces and a final newline: the file's text, written through one small buffer. */
function textOfPieces(pieces: Piece[]): TextPieces {
  pieces.push('\n');
  return { pieces };
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

/**
 * The two records of generation `g`, each as the text of its file in pieces (with its final
 * newline):
 * - `history()`: `JSON.stringify(g)`, the whole record each store keeps;
 * - `live()`: what `<root>/run/keepsake/applied.json` keeps, i.e. JSON.stringify of
 *   `{ ...g, actions: liveActions(g.actions), plan: { ...g.plan, entries: [], actions: [],
 *   released: [], adopted: [] } }`.
 * The model is stringified once for both. No buffer of either file's bytes is made: every
 * large allocation is memory the system must map in, in a process that runs once.
 */
export function generationRecords(g: Generation): { live(): TextPieces; history(): TextPieces } {
  let model: string | undefined;
  const withModel = (texts: Record<string, Piece[]>): Record<string, Piece[]> => {
    // A generation without a model (none is) keeps JSON.stringify's answer: no key.
    if (g.model === undefined) return texts;
    model ??= modelText(g.model);
    return { model: [model], ...texts };
  };
  return {
    live: () =>
      textOfPieces(
        objectPieces(
          g,
          withModel({
            actions: [JSON.stringify(liveActions(g.actions))],
            plan: objectPieces(g.plan, EMPTIED),
          }),
        ),
      ),
    history: () => {
      const plan = g.plan.actions as Action[] | undefined;
      // This apply's set-up alone, the usual first apply: one text for both lists.
      const same = plan !== undefined && sameItems(g.actions, plan);
      const actions = JSON.stringify(same ? plan : g.actions);
      const planTexts: Record<string, Piece[]> =
        plan === undefined ? {} : { actions: [same ? actions : JSON.stringify(plan)] };
      return textOfPieces(
        objectPieces(g, withModel({ actions: [actions], plan: objectPieces(g.plan, planTexts) })),
      );
    },
  };
}
