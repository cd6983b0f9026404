// Reading YAML and JSON text into the raw tree through `yaml`, with the line and column of every
// key and value; JSON is first checked against the strict JSON grammar.

import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document as YamlDocument,
  type Node as YamlNode,
} from 'yaml';
import { ConfigError } from '../errors.js';
import type { Diagnostic } from '../model/types.js';
import { firstLine, syntaxDiagnostic } from './file-errors.js';
import {
  type LoadedConfig,
  type Position,
  type RawEntry,
  type RawNode,
  type RawScalar,
  scalarValue,
  UNKNOWN,
} from './raw.js';
import { checkStrictJson } from './strict-json.js';

export function parseYamlText(text: string, file: string, format: 'yaml' | 'json'): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
  });
  const at = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  // For JSON, the strict grammar's first violation is more precise than what YAML makes of it.
  const problem = format === 'json' ? checkStrictJson(text) : undefined;
  if (problem !== undefined) {
    throw new ConfigError([syntaxDiagnostic('json', file, problem.message, at(problem.offset))]);
  }
  const errors: Diagnostic[] = doc.errors.map((e) =>
    syntaxDiagnostic(format, file, firstLine(e.message), at(e.pos[0])),
  );
  if (errors.length > 0) throw new ConfigError(errors);
  const warnings: Diagnostic[] = doc.warnings.map((w) => ({
    severity: 'warning',
    code: `${format}-warning`,
    message: firstLine(w.message),
    source: { file, ...at(w.pos[0]), option: '' },
  }));
  const root =
    doc.contents === null
      ? ({ kind: 'scalar', pos: { line: 1, column: 1 }, value: null } satisfies RawScalar)
      : fromYaml(doc.contents, doc, at, 0);
  return { file, format, root, diagnostics: warnings };
}

function fromYaml(
  node: unknown,
  doc: YamlDocument,
  at: (offset: number) => Position,
  depth: number,
): RawNode {
  const pos = (n: unknown): Position => {
    const range = (n as YamlNode | null)?.range;
    return range ? at(range[0]) : UNKNOWN;
  };
  if (depth > 200) return { kind: 'scalar', pos: pos(node), value: null };
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (target === undefined) return { kind: 'scalar', pos: pos(node), value: null };
    return fromYaml(target, doc, at, depth + 1);
  }
  if (isMap(node)) {
    const entries: RawEntry[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key;
      const key = isScalar(keyNode) ? String(keyNode.value ?? '') : String(keyNode ?? '');
      const keyPos = pos(keyNode);
      const value =
        pair.value === null || pair.value === undefined
          ? ({ kind: 'scalar', pos: keyPos, value: null } satisfies RawScalar)
          : fromYaml(pair.value, doc, at, depth + 1);
      entries.push({ key, keyPos, value });
    }
    return { kind: 'map', pos: pos(node), entries };
  }
  if (isSeq(node)) {
    return {
      kind: 'seq',
      pos: pos(node),
      items: node.items.map((item) =>
        item === null || item === undefined
          ? ({ kind: 'scalar', pos: pos(node), value: null } satisfies RawScalar)
          : fromYaml(item, doc, at, depth + 1),
      ),
    };
  }
  if (isScalar(node)) {
    const scalar: RawScalar = { kind: 'scalar', pos: pos(node), value: scalarValue(node.value) };
    if (typeof node.source === 'string') scalar.text = node.source;
    return scalar;
  }
  return { kind: 'scalar', pos: pos(node), value: scalarValue(node) };
}
