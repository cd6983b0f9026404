// A model's JSON text, made once per model: the model cache and both records of a generation
// hold it, and a model of 1,300 entries is 720 KB of text (about 5 ms to make).

import type { Model } from '../model/types.js';

const texts = new WeakMap<Model, string | (() => string)>();

/** JSON.stringify(model), made once per model object (a model is never changed once built). */
export function modelText(model: Model): string {
  const known = texts.get(model);
  if (typeof known === 'string') return known;
  const text = known === undefined ? JSON.stringify(model) : known();
  texts.set(model, text);
  return text;
}

/** The text of a model read back from one, when that text is JSON.stringify's own (a round trip
 *  of JSON.stringify's output through JSON.parse gives the same text back); `text` may be a
 *  function that makes it, called only when the text is needed. */
export function knownModelText(model: Model, text: string | (() => string)): void {
  texts.set(model, text);
}
