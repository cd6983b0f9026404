// The strict JSON grammar, checked before a .json file goes through the YAML parser (which
// accepts far more), so that JSON mistakes are reported where and as JSON sees them.

/**
 * The strict JSON grammar, which YAML is more forgiving than: returns the first violation
 * (trailing commas, comments, single quotes, bare words...) or undefined when the text is JSON.
 */
export function checkStrictJson(text: string): { offset: number; message: string } | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (message: string): never => {
    throw { offset: i, message };
  };
  const describe = () => (i >= text.length ? 'end of file' : `\`${text[i]}\``);
  const str = () => {
    i++; // opening quote
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else fail('invalid escape sequence in a string');
        continue;
      }
      if (c.charCodeAt(0) < 0x20)
        fail('a string must not contain a raw control character or newline');
      i++;
    }
    fail('unterminated string');
  };
  const value = (depth: number): void => {
    if (depth > 500) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a property name in double quotes, found ${describe()}`);
        str();
        ws();
        if (text[i] !== ':') fail(`expected ":" after the property name, found ${describe()}`);
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === '}') fail('trailing comma before "}"');
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(`expected "," or "}" after a property value, found ${describe()}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === ']') fail('trailing comma before "]"');
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(`expected "," or "]" after an array element, found ${describe()}`);
      }
    }
    if (c === '"') {
      str();
      return;
    }
    const rest = text.slice(i);
    const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(rest);
    if (m && !/^[\w.]/.test(rest.slice(m[0].length))) {
      i += m[0].length;
      return;
    }
    if (c === '/' || c === '#') fail('comments are not allowed in JSON');
    if (c === "'") fail('strings must use double quotes in JSON');
    fail(
      `unexpected ${describe()}; expected a value (string, number, true, false, null, object or array)`,
    );
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail(`unexpected ${describe()} after the end of the document`);
    return undefined;
  } catch (problem) {
    if (typeof problem === 'object' && problem !== null && 'offset' in problem) {
      return problem as { offset: number; message: string };
    }
    throw problem;
  }
}
