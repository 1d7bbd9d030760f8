// A state file's `resources`, parsed one resource at a time. JSON.parse of a whole state builds every
// attribute of every resource at once (about five times the file's size: ~40 MB for 10,000 associations)
// only for most of it to be dropped; parsing each element of the top-level `resources` array on its own
// lets that garbage die young. This only finds where the elements are: a scan that tracks strings and
// nesting. Whenever the text is not plainly a JSON object with a top-level `resources` array (or anything
// else looks odd), it says so and the caller parses the whole text as before, so errors and edge cases
// are JSON.parse's own.

export interface SplitState {
  /** The text with the top-level `resources` array emptied: everything else of the state, to JSON.parse. */
  readonly rest: string;
  /** Each element of `resources`, as [start, end) offsets into the text. */
  readonly elements: ReadonlyArray<readonly [number, number]>;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** Where the top-level `resources` array's elements are; undefined when the text is not simple enough. */
export function splitResources(text: string): SplitState | undefined {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_OBJECT) return undefined;
  let depth = 0;
  let found: { open: number; close: number; elements: Array<readonly [number, number]> } | undefined;
  let elementStart = -1;
  let lastKey: string | undefined;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) return undefined;
      if (depth === 1) lastKey = text.slice(i + 1, end);
      i = end;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      if (depth === 2 && c === OPEN_ARRAY && lastKey === "resources" && isValueOf(text, i)) {
        if (found !== undefined) return undefined; // a second top-level `resources`: leave it to JSON.parse
        found = { open: i, close: -1, elements: [] };
      } else if (depth === 3 && found !== undefined && found.close < 0 && elementStart < 0) {
        elementStart = i;
      }
      continue;
    }
    if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth === 3 && elementStart >= 0) {
        found!.elements.push([elementStart, i + 1]);
        elementStart = -1;
      } else if (depth === 2 && found !== undefined && found.close < 0 && c === CLOSE_ARRAY) {
        found.close = i;
      }
      depth--;
      if (depth === 0) break;
    }
  }
  if (depth !== 0 || found === undefined || found.close < 0) return undefined;
  // Only objects and arrays were found as elements: anything else in the array is for JSON.parse to judge.
  if (!onlyElements(text, found.open, found.close, found.elements)) return undefined;
  return { rest: `${text.slice(0, found.open)}[]${text.slice(found.close + 1)}`, elements: found.elements };
}

/** The index of the quote closing the string that opens at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  let i = start;
  for (;;) {
    i = text.indexOf('"', i + 1);
    if (i < 0) return -1;
    let backslashes = 0;
    for (let j = i - 1; text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return i;
  }
}

/** True when the `[` at `at` is a value: the previous non-space character is the key's colon. */
function isValueOf(text: string, at: number): boolean {
  let j = at - 1;
  while (j >= 0 && isSpace(text.charCodeAt(j))) j--;
  return text.charCodeAt(j) === COLON;
}

/** Between the array's brackets, nothing but the elements, commas and white space. */
function onlyElements(text: string, open: number, close: number, elements: ReadonlyArray<readonly [number, number]>): boolean {
  let at = open + 1;
  for (let k = 0; k < elements.length; k++) {
    const [start, end] = elements[k]!;
    at = skipSpace(text, at);
    if (k > 0) {
      if (text.charCodeAt(at) !== COMMA) return false;
      at = skipSpace(text, at + 1);
    }
    if (at !== start) return false;
    at = end;
  }
  return skipSpace(text, at) === close;
}

function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
