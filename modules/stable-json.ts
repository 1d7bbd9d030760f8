// cdktf writes every stack and its manifest with `json-stable-stringify` (keys sorted, `{ space: 2 }`). That
// package spends most of its time in its own machinery (a bound call per sort, join and index lookup, the
// indentation rebuilt for every value): at 1,000 associations ~0.1 s, a fifth of synthesis. This is the same
// function, written for speed, byte for byte the same output (test/app/stable-json.test.ts compares the two on
// generated values); ./start-up.ts puts it in cdktf's place for the calls it covers.

/**
 * `json-stable-stringify` (1.x) with only its `space` option, `unit` being that indentation as a string: keys
 * in `Array.prototype.sort` order, `toJSON` honoured, members whose value is undefined (or a function or
 * symbol) left out, such array items written as null, an empty object or array written with its line break
 * (`{\n}` at the indentation of the line), a cycle through objects a TypeError.
 */
export function stableStringify(value: unknown, unit = ""): string | undefined {
  const colon = unit ? ": " : ":";
  const indents: string[] = [];
  const indent = (level: number): string => (indents[level] ??= unit ? "\n" + unit.repeat(level) : "");
  const open = new Set<object>();

  const write = (node: unknown, level: number): string | undefined => {
    if (node !== null && node !== undefined && typeof (node as { toJSON?: unknown }).toJSON === "function") node = (node as { toJSON: () => unknown }).toJSON();
    if (typeof node !== "object" || node === null) return JSON.stringify(node);
    const inner = indent(level + 1);
    const close = indent(level);
    if (Array.isArray(node)) {
      let out = "";
      for (let i = 0; i < node.length; i++) out += (i === 0 ? "" : ",") + inner + (write(node[i], level + 1) ?? "null");
      return "[" + out + close + "]";
    }
    if (open.has(node)) throw new TypeError("Converting circular structure to JSON");
    open.add(node);
    const record = node as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    let out = "";
    for (const key of keys) {
      const member = write(record[key], level + 1);
      if (member === undefined) continue;
      out += (out === "" ? "" : ",") + inner + JSON.stringify(key) + colon + member;
    }
    open.delete(node);
    return "{" + out + close + "}";
  };
  return write(value, 0);
}
