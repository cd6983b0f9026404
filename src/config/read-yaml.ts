// Reading YAML and JSON text into the raw tree through `yaml`, with the line and column of every
// key and value; JSON is first checked against the strict JSON grammar.

import {
  type Alias,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document as YamlDocument,
  type Node as YamlNode,
} from 'yaml';
import { ConfigError } from '../errors.js';
import type { Diagnostic } from '../model/types.js';
import { firstLine, syntaxDiagnostic } from './file-errors.js';
import { LIMITS, NodeBudget, tooDeep } from './limits.js';
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
  const at = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  // For JSON, the strict grammar's first violation is more precise than what YAML makes of it,
  // and its depth check comes before the YAML parser sees thousands of nested brackets.
  const problem = format === 'json' ? checkStrictJson(text) : undefined;
  if (problem !== undefined) {
    // The line counter fills as the parser runs: count the lines here.
    const before = text.slice(0, problem.offset).split('\n');
    const pos = { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
    throw new ConfigError([syntaxDiagnostic('json', file, problem.message, pos)]);
  }
  let doc: YamlDocument;
  try {
    doc = parseDocument(text, {
      lineCounter,
      prettyErrors: false,
      // Duplicate keys are found while reading, in linear time: the parser's own check compares
      // each key with every other one.
      uniqueKeys: false,
      strict: true,
    });
  } catch (error) {
    // The parser recurses into flow collections: brackets nested thousands deep exhaust it.
    if (error instanceof RangeError) throw tooDeep(file, { line: 1, column: 1 });
    throw error;
  }
  // A tag keepsake does not know leaves the value's meaning unknown: an error, not a guess.
  // The parser reports running out of stack on nesting such as `- - - - ...` as an error.
  const exhausted = doc.errors.find((e) => /call stack/i.test(e.message));
  if (exhausted !== undefined) throw tooDeep(file, at(exhausted.pos[0]));
  const unknownTags = doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED');
  const errors: Diagnostic[] = [...doc.errors, ...unknownTags].map((e) =>
    syntaxDiagnostic(format, file, firstLine(e.message), at(e.pos[0])),
  );
  if (errors.length > 0) throw new ConfigError(errors.slice(0, LIMITS.diagnostics));
  const warnings: Diagnostic[] = doc.warnings.map((w) => ({
    severity: 'warning',
    code: `${format}-warning`,
    message: firstLine(w.message),
    source: { file, ...at(w.pos[0]), option: '' },
  }));
  const read = new YamlReader(doc, at, new NodeBudget(file), file);
  const root =
    doc.contents === null
      ? ({ kind: 'scalar', pos: { line: 1, column: 1 }, value: null } satisfies RawScalar)
      : read.node(doc.contents, 0);
  if (read.problems.length > 0) {
    const found = read.problems.map((p) => syntaxDiagnostic(format, file, p.message, p.pos));
    throw new ConfigError(found.slice(0, LIMITS.diagnostics));
  }
  return { file, format, root, diagnostics: warnings };
}

/** The raw tree of a parsed document, expanding aliases within the node budget. */
class YamlReader {
  /**
   * Each alias's node, found in one walk of the document: an alias names the last anchor of
   * that name before it. (The parser's own resolution searches the document once per alias.)
   */
  private readonly resolved = new Map<Alias, YamlNode>();
  /** Keys that repeat one written earlier in the same map, aliases to no anchor. */
  readonly problems: Array<{ pos: Position; message: string }> = [];
  constructor(
    doc: YamlDocument,
    private readonly at: (offset: number) => Position,
    private readonly budget: NodeBudget,
    private readonly file: string,
  ) {
    const anchors = new Map<string, YamlNode>();
    visit(doc, {
      Node: (_key, n) => {
        if (isAlias(n)) {
          const target = anchors.get(n.source);
          if (target !== undefined) this.resolved.set(n, target);
        } else if (n.anchor !== undefined) anchors.set(n.anchor, n);
      },
    });
  }

  private pos(n: unknown): Position {
    const range = (n as YamlNode | null)?.range;
    return range ? this.at(range[0]) : UNKNOWN;
  }

  node(node: unknown, depth: number): RawNode {
    const pos = this.pos(node);
    if (depth > LIMITS.depth) throw tooDeep(this.file, pos);
    // Every value counts, each time an alias repeats it: that is what bounds an alias bomb.
    this.budget.take(pos);
    if (isAlias(node)) {
      const target = this.resolved.get(node);
      if (target === undefined) {
        // Read as nothing, an alias to a missing anchor would quietly drop what it stood for.
        const message = `the alias *${node.source} refers to no anchor &${node.source} before it`;
        this.problems.push({ pos, message });
        return { kind: 'scalar', pos, value: null };
      }
      this.budget.aliases++;
      return this.node(target, depth + 1);
    }
    if (isMap(node)) {
      const entries: RawEntry[] = [];
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key;
        const key = isScalar(keyNode) ? String(keyNode.value ?? '') : String(keyNode ?? '');
        this.budget.takeText(this.pos(keyNode), key.length);
        const keyPos = this.pos(keyNode);
        if (seen.has(key)) this.problems.push({ pos: keyPos, message: 'Map keys must be unique' });
        seen.add(key);
        const value =
          pair.value === null || pair.value === undefined
            ? ({ kind: 'scalar', pos: keyPos, value: null } satisfies RawScalar)
            : this.node(pair.value, depth + 1);
        entries.push({ key, keyPos, value });
      }
      return { kind: 'map', pos, entries };
    }
    if (isSeq(node)) {
      const items = node.items.map((item) =>
        item === null || item === undefined
          ? ({ kind: 'scalar', pos, value: null } satisfies RawScalar)
          : this.node(item, depth + 1),
      );
      return { kind: 'seq', pos, items };
    }
    if (isScalar(node)) {
      const scalar: RawScalar = { kind: 'scalar', pos, value: scalarValue(node.value) };
      if (typeof scalar.value === 'string') this.budget.takeText(pos, scalar.value.length);
      if (typeof node.source === 'string') scalar.text = node.source;
      return scalar;
    }
    return { kind: 'scalar', pos, value: scalarValue(node) };
  }
}
