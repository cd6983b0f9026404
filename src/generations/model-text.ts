// A model's text as the records keep it: JSON.stringify of the model with its entries packed
// (src/model/pack.ts), made once per model. Both records of a generation and the model cache
// hold it: packed, 1,300 entries are 130 KB of text (plain, 720 KB, about 6 ms to make, and
// as many pages more to write, each time an apply acts).

import { packEntries } from '../model/pack.js';
import type { Model } from '../model/types.js';

const texts = new WeakMap<Model, string>();

/** The model's record text, made once per model object (a model is never changed once built). */
export function modelText(model: Model): string {
  let text = texts.get(model);
  if (text === undefined) {
    text = JSON.stringify({ ...model, entries: packEntries(model.entries) ?? model.entries });
    texts.set(model, text);
  }
  return text;
}
