// Reading a JSON configuration into the raw tree without the YAML parser, which costs more to
// load and run than everything else keepsake does at boot. JSON.parse decides whether the text
// is JSON at all; only then is it walked once more, token by token, for the line and column of
// every key and value. The tree is the one the YAML-based reader makes of the same text (the
// tests compare both), so every message about the configuration reads the same either way.
// Whatever the YAML-based reader would say more about (invalid JSON, a repeated key, too many
// values, a key YAML cannot read) is left to it: this reader then returns undefined.

import { LIMITS } from './limits.js';
import type { LoadedConfig, Position, RawEntry, RawNode } from './raw.js';

/** YAML reads a key only when it is on one line and at most this long (an implicit key). */
const YAML_KEY_LIMIT = 1024;

/** Strings, punctuation, and the bare words of JSON (numbers, true, false, null). */
const TOKEN = /"(?:[^"\\]|\\.)*"|[{}[\],:]|[^\s{}[\],:"]+/g;

class Defer extends Error {}

class Walker {
  private token = '';
  private at = 0;
  private line = 1;
  private lineStart = 0;
  /** Where line counting has got to: offsets only grow. */
  private counted = 0;
  private nodes = 0;
  private readonly tokens = new RegExp(TOKEN.source, 'g');

  constructor(private readonly text: string) {}

  private next(): void {
    const m = this.tokens.exec(this.text);
    if (m === null) throw new Defer();
    this.token = m[0];
    this.at = m.index;
  }

  private pos(): Position {
    const { text, at } = this;
    for (let nl = text.indexOf('\n', this.counted); nl !== -1 && nl < at; ) {
      this.line++;
      this.lineStart = nl + 1;
      nl = text.indexOf('\n', nl + 1);
    }
    this.counted = at;
    return { line: this.line, column: at - this.lineStart + 1 };
  }

  private string(token: string): string {
    // JSON.parse has accepted the text: a token without escapes is its own value.
    return token.includes('\\') ? (JSON.parse(token) as string) : token.slice(1, -1);
  }

  /** The value whose first token has just been read. */
  node(depth: number): RawNode {
    if (depth > LIMITS.depth || ++this.nodes > LIMITS.nodes) throw new Defer();
    const pos = this.pos();
    const first = this.token;
    if (first === '{') {
      const entries: RawEntry[] = [];
      const seen = new Set<string>();
      this.next();
      while (this.token !== '}') {
        if (this.token === ',') this.next();
        const keyToken = this.token;
        const keyAt = this.at;
        const keyPos = this.pos();
        const key = this.string(keyToken);
        this.next(); // ':'
        const between = this.text.slice(keyAt + keyToken.length, this.at);
        if (seen.has(key) || keyToken.length > YAML_KEY_LIMIT || between.includes('\n'))
          throw new Defer();
        seen.add(key);
        this.next();
        entries.push({ key, keyPos, value: this.node(depth + 1) });
        this.next();
      }
      return { kind: 'map', pos, entries };
    }
    if (first === '[') {
      const items: RawNode[] = [];
      this.next();
      while (this.token !== ']') {
        if (this.token === ',') this.next();
        items.push(this.node(depth + 1));
        this.next();
      }
      return { kind: 'seq', pos, items };
    }
    if (first.startsWith('"')) {
      const value = this.string(first);
      return { kind: 'scalar', pos, value, text: value };
    }
    const value =
      first === 'null' ? null : first === 'true' ? true : first === 'false' ? false : Number(first);
    return { kind: 'scalar', pos, value, text: first };
  }

  root(): RawNode {
    this.next();
    return this.node(0);
  }
}

/**
 * The raw tree of JSON text (without a byte order mark), or undefined when the text is not
 * plain JSON that this reader can vouch for: the YAML-based reader then reads it and reports.
 */
export function readJsonText(text: string, file: string): LoadedConfig | undefined {
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  try {
    return { file, format: 'json', root: new Walker(text).root(), diagnostics: [] };
  } catch (error) {
    if (error instanceof Defer) return undefined;
    throw error;
  }
}
