// Config text (YAML, or JSON for `.json` files) to plain data, with bounded time and memory whatever the
// text: js-yaml 5 limits nesting (maxDepth) and aliases (maxAliases); an alias is the same object as its
// anchor, so parsing an "alias bomb" is cheap, and the bomb only goes off when something walks the data as a
// tree. `expansionProblem` measures that tree on the shared data in linear time (each collection once)
// and refuses it before zod walks it. JSON files are parsed as JSON (for JSON's own error messages) and
// then by the same YAML parser, which also refuses duplicate keys that JSON.parse would silently drop.
import { load, YAMLException } from "js-yaml";
import { objectMemberKeyProblem } from "../validation/rules";
import { ConfigError } from "./errors";

/** At most this many values may be added by expanding aliases (a config has a few per association). */
export const MAX_ALIAS_EXPANSION = 100_000;
/** js-yaml's own bounds: collections nested at most this deep, and at most this many aliases. */
const YAML_LIMITS = { maxDepth: 100, maxAliases: 10_000 } as const;

/** A key the parsed data holds but JavaScript code would not see as an ordinary key. */
export interface ReservedKey {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Parses config text into plain data; throws ConfigError (one line) when it is not a document to validate. */
export function parseConfigText(text: string, file: string): { data: unknown; reservedKeys: ReservedKey[] } {
  const fail = (problem: string): ConfigError => ConfigError.ofFile(file, problem);
  const empty = "is empty (or only comments); see docs/config.md for what a config holds";
  if (text.trim() === "") throw fail(empty);
  if (file.endsWith(".json")) {
    try {
      JSON.parse(text);
    } catch (e) {
      throw fail(`not valid JSON${jsonPosition(text, (e as Error).message)}: ${firstLine((e as Error).message)}`);
    }
  }
  let data: unknown;
  try {
    data = load(text, YAML_LIMITS);
  } catch (e) {
    if (e instanceof YAMLException && /input is empty/.test(e.reason)) throw fail(empty);
    if (e instanceof YAMLException) {
      const at = e.mark ? ` at line ${e.mark.line + 1}, column ${e.mark.column + 1}` : "";
      if (/maxDepth/.test(e.reason)) throw fail(`nests collections more than ${YAML_LIMITS.maxDepth} levels deep${at}; a config needs fewer than 10`);
      if (/maxAliases/.test(e.reason))
        throw fail(`has more than ${YAML_LIMITS.maxAliases.toLocaleString("en")} aliases (*name)${at}; write the values out instead`);
      throw fail(`not valid ${file.endsWith(".json") ? "JSON" : "YAML"}${at}: ${e.reason}`);
    }
    throw fail(`not valid YAML: ${firstLine(String((e as Error)?.message ?? e))}`);
  }
  const walk = walkData(data);
  if (walk.cycle) throw fail("an alias (*name) refers to a collection that contains it, so the data never ends; remove the alias");
  if (walk.expanded - walk.written > MAX_ALIAS_EXPANSION) {
    throw fail(
      `its aliases (*name) expand ${walk.written.toLocaleString("en")} written values to ${walk.expanded > 1e9 ? "more than a billion" : walk.expanded.toLocaleString("en")}, more than the ${MAX_ALIAS_EXPANSION.toLocaleString("en")} extra values allowed (an alias bomb?); write the values out instead`,
    );
  }
  return { data, reservedKeys: walk.reservedKeys };
}

interface Walk {
  /** Values in the data as a tree (an alias counted as a copy of what it names). */
  expanded: number;
  /** Values as written (each collection counted once). */
  written: number;
  cycle: boolean;
  reservedKeys: ReservedKey[];
}

interface Frame {
  readonly node: object;
  readonly parent: Frame | undefined;
  /** This collection's key or index in its parent. */
  readonly key: string | number;
  readonly keys: readonly string[] | undefined;
  readonly length: number;
  next: number;
  size: number;
}

/** Sizes the data in one pass over its distinct collections, without recursion (depth is unbounded via aliases). */
function walkData(root: unknown): Walk {
  const result: Walk = { expanded: 0, written: 0, cycle: false, reservedKeys: [] };
  if (typeof root !== "object" || root === null) return { ...result, expanded: 1, written: 1 };
  const sizes = new Map<object, number>();
  const open = new Set<object>();
  const pathOf = (f: Frame | undefined): (string | number)[] => (f?.parent ? [...pathOf(f.parent), f.key] : []);
  const frame = (node: object, parent: Frame | undefined, key: string | number): Frame => {
    open.add(node);
    const keys = Array.isArray(node) ? undefined : Object.keys(node);
    const f: Frame = { node, parent, key, keys, length: keys ? keys.length : (node as unknown[]).length, next: 0, size: 1 };
    // js-yaml and JSON.parse keep a `__proto__` key as an own property, which zod and most code then skip.
    if (keys && Object.hasOwn(node, "__proto__")) result.reservedKeys.push({ path: [...pathOf(f), "__proto__"], message: objectMemberKeyProblem("__proto__") });
    return f;
  };
  const stack: Frame[] = [frame(root, undefined, "")];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next < top.length) {
      const i = top.next++;
      const key = top.keys ? top.keys[i]! : i;
      const child = (top.node as Record<string | number, unknown>)[key];
      if (typeof child !== "object" || child === null) {
        top.size += 1;
        result.written += 1;
      } else if (sizes.has(child)) {
        top.size += sizes.get(child)!;
      } else if (open.has(child)) {
        result.cycle = true;
        return result;
      } else {
        stack.push(frame(child, top, key));
      }
      continue;
    }
    stack.pop();
    open.delete(top.node);
    sizes.set(top.node, top.size);
    result.written += 1;
    if (stack.length > 0) stack[stack.length - 1]!.size += top.size;
    else result.expanded = top.size;
  }
  return result;
}

function firstLine(message: string): string {
  const line = message.split("\n")[0]!;
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** ` at line L, column C` from a JSON.parse message that gives a position. */
function jsonPosition(text: string, message: string): string {
  const m = /at position (\d+)/.exec(message);
  if (!m) return "";
  const before = text.slice(0, Number(m[1]));
  const line = before.split("\n").length;
  return ` at line ${line}, column ${before.length - before.lastIndexOf("\n")}`;
}
