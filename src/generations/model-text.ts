// A model's JSON text, made once per model: both records of a generation hold it, and a model
// of 1,300 entries is 720 KB of text (about 5 ms to make).

import type { Model } from '../model/types.js';

const texts = new WeakMap<Model, string>();

/** JSON.stringify(model), made once per model object (a model is never changed once built). */
export function modelText(model: Model): string {
  let text = texts.get(model);
  if (text === undefined) {
    text = JSON.stringify(model);
    texts.set(model, text);
  }
  return text;
}
