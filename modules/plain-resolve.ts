// cdktf resolves a stack by walking every value of every element through its token resolver, twice (each
// element's fragment, then the merged stack), building a resolution context (two closures and a path array)
// per key and testing every string against three regular expressions. Almost everything this app writes is
// plain JSON (names, ARNs, policy documents as strings): the few tokens are the bindings' own lists and the
// late values of ./late.ts. At 1,000 associations that walk was ~40 % of synth time.
//
// `resolvingPlainValuesDirectly` runs a stack's synthesis with cdktf's resolver entry point
// (`Tokenization.resolve`) wrapped: plain values pass through as they are (undefined members dropped, as cdktf
// does) and anything that is or may hold a token goes to cdktf's resolver unchanged. Same output by
// construction: for a value with no token, cdktf's resolve is the identity (minus undefined members); the
// golden tests compare the JSON with both libraries.
import { LateValue, lateValueOf } from "./late";
import { Tokenization } from "./terraform-cdk";

type Resolve = typeof Tokenization.resolve;
type ResolveOptions = Parameters<Resolve>[1];

/** Every token kind's encoding contains this: string (`${TfToken[…]}`), list (`#{TfToken[…]}`), map (`&{…}`). */
const TOKEN_MARKER = "TfToken[";
/** A list token's encoding: a list holding one is resolved whole. */
const LIST_TOKEN_MARKER = "#{TfToken[";
/** A superset of what cdktf's encoded-number pattern can match inside a string (`[-|\d|.+]+e[-|\d|.|e|E|+]+`). */
const MAY_HOLD_NUMBER_TOKEN = /[-|\d.+]e[-|\d.eE+]/;

const mayHoldToken = (s: string): boolean => s.includes(TOKEN_MARKER) || MAY_HOLD_NUMBER_TOKEN.test(s);

/**
 * Resolves `value` as cdktf's `resolve` does, handing it only what may hold a token. Plain objects and arrays
 * are walked here, and a value with no token is returned as it is, not copied (cdktf's synthesis only reads
 * what it resolved). A member that holds a token is resolved on its own, as cdktf's walk would at that point:
 * a token's resolution does not depend on the plain structure around it. Lists holding a list token or a
 * number (possibly an encoded list), maps with token keys and anything not a plain object go to cdktf whole.
 */
function resolvePlainFirst(resolve: Resolve, value: unknown, options: ResolveOptions): unknown {
  switch (typeof value) {
    case "undefined":
    case "boolean":
      return value;
    case "string": {
      if (!mayHoldToken(value)) return value;
      // A late value's token: what it produces, resolved in turn, as cdktf's resolver would do.
      const late = lateValueOf(value);
      return late !== undefined ? resolvePlainFirst(resolve, late.resolve(), options) : resolve(value, options);
    }
    case "object": {
      if (value === null) return null;
      if (Array.isArray(value)) {
        if (value.some((item) => typeof item === "number" || (typeof item === "string" && item.includes(LIST_TOKEN_MARKER)))) return resolve(value, options);
        let out: unknown[] | undefined;
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          const resolved = resolvePlainFirst(resolve, item, options);
          if (out === undefined && (resolved !== item || item === undefined)) out = value.slice(0, i);
          if (out !== undefined && resolved !== undefined) out.push(resolved);
        }
        return out ?? value;
      }
      if (value instanceof LateValue) return resolvePlainFirst(resolve, value.resolve(), options);
      const proto: unknown = Object.getPrototypeOf(value);
      const record = value as Record<string, unknown>;
      if ((proto !== Object.prototype && proto !== null) || typeof record.resolve === "function") return resolve(value, options);
      const keys = Object.keys(record);
      if (keys.some(mayHoldToken)) return resolve(value, options);
      let out: Record<string, unknown> | undefined;
      for (let i = 0; i < keys.length; i++) {
        const member = record[keys[i]!];
        const resolved = resolvePlainFirst(resolve, member, options);
        if (out === undefined && (resolved !== member || member === undefined)) {
          out = {};
          for (let j = 0; j < i; j++) out[keys[j]!] = record[keys[j]!];
        }
        if (out !== undefined && resolved !== undefined) out[keys[i]!] = resolved;
      }
      return out ?? record;
    }
    default:
      // Numbers may be encoded tokens; functions and symbols are errors cdktf reports.
      return resolve(value, options);
  }
}

/** Runs `synthesize` (a stack's toTerraform) with plain values resolved directly; cdktf's resolver is restored after. */
export function resolvingPlainValuesDirectly<T>(synthesize: () => T): T {
  const original = Tokenization.resolve;
  Tokenization.resolve = (obj, options) => resolvePlainFirst(original, obj, options);
  try {
    return synthesize();
  } finally {
    Tokenization.resolve = original;
  }
}
