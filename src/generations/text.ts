// The JSON text of the records an apply writes, built from pieces so that each value is
// stringified once: the model is the same in the live record and the history record, and an
// action's text is the same in its --json line, in the generation's actions and in its plan's.
// On a large configuration that is most of the apply's record time and of its garbage.
//
// The result is byte for byte what JSON.stringify makes of the whole object: an object's text
// is its keys in Object.keys order, each `"key":value` with the value as JSON.stringify makes
// it, those whose value has no JSON text (undefined, a function) left out; an array's is its
// items' texts joined by commas. Records are plain data (no toJSON, no getters, no cycles), so
// joining the texts of the parts is exactly stringifying the whole.
// Invariant: plans and their actions are never changed once built (the executor only changes
// outcomes), so an action's text, made once, stays its text for the whole run.

import type { Generation } from '../plan/generation.js';
import type { Action } from '../plan/types.js';

const actionTexts = new WeakMap<Action, string>();

/** JSON.stringify(action), made once per action. */
export function actionJson(action: Action): string {
  let text = actionTexts.get(action);
  if (text === undefined) {
    text = JSON.stringify(action);
    actionTexts.set(action, text);
  }
  return text;
}

function actionsJson(actions: readonly Action[]): string {
  const texts = new Array<string>(actions.length);
  for (let i = 0; i < actions.length; i++) texts[i] = actionJson(actions[i]!);
  return `[${texts.join(',')}]`;
}

/**
 * The JSON text of `{ ...value, ...texts }` where `texts` holds values already as JSON text:
 * `value`'s keys in their order, each with its text from `texts` when there is one, then the
 * keys only `texts` has.
 */
function objectJson(value: object, texts: Readonly<Record<string, string>>): string {
  const parts: string[] = [];
  const own = value as Record<string, unknown>;
  for (const key of Object.keys(own)) {
    const text = Object.hasOwn(texts, key) ? texts[key] : JSON.stringify(own[key]);
    // JSON.stringify gives undefined for what JSON has no text for: the key is left out.
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
  }
  for (const key of Object.keys(texts)) {
    if (!Object.hasOwn(own, key)) parts.push(`${JSON.stringify(key)}:${texts[key]}`);
  }
  return `{${parts.join(',')}}`;
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
const EMPTIED = { entries: '[]', actions: '[]', released: '[]', adopted: '[]' };

function sameItems(a: readonly Action[], b: readonly Action[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The two records of generation `g`, each with its final newline:
 * - `history()`: `JSON.stringify(g)`, the whole record each store keeps;
 * - `live()`: what `<root>/run/keepsake/applied.json` keeps, i.e. JSON.stringify of
 *   `{ ...g, actions: liveActions(g.actions), plan: { ...g.plan, entries: [], actions: [],
 *   released: [], adopted: [] } }`.
 * The model's text is made once for both.
 */
export function generationTexts(g: Generation): { live(): string; history(): string } {
  let model: string | undefined;
  const modelJson = () => {
    model ??= JSON.stringify(g.model);
    return model;
  };
  const withModel = (texts: Record<string, string>) =>
    // A generation without a model (none is) keeps JSON.stringify's answer: no key.
    g.model === undefined ? texts : { model: modelJson(), ...texts };
  return {
    live: () =>
      `${objectJson(
        g,
        withModel({
          actions: actionsJson(liveActions(g.actions)),
          plan: objectJson(g.plan, EMPTIED),
        }),
      )}\n`,
    history: () => {
      const plan = g.plan.actions;
      const planActions = plan === undefined ? undefined : actionsJson(plan);
      // This apply's set-up alone, the usual first apply: one text for both lists.
      const actions =
        planActions !== undefined && sameItems(g.actions, plan)
          ? planActions
          : actionsJson(g.actions);
      const planTexts: Record<string, string> =
        planActions === undefined ? {} : { actions: planActions };
      return `${objectJson(g, withModel({ actions, plan: objectJson(g.plan, planTexts) }))}\n`;
    },
  };
}
