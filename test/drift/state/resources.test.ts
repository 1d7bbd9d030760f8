// Splitting a state's `resources` array for parsing one resource at a time: the same result as JSON.parse of
// the whole text, or no split at all (the caller then parses the whole text).
import { describe, expect, it } from "vitest";
import { splitResources } from "../../../drift/state/resources";
import { parseState } from "../../../drift/state";
import { associationAttributes, stateDocument } from "./fixtures";

/** What a split gives back, as parsed JSON: the state with its resources put back. */
function rejoin(text: string): unknown {
  const split = splitResources(text);
  if (split === undefined) return undefined;
  const rest = JSON.parse(split.rest) as { resources: unknown[] };
  expect(rest.resources).toEqual([]);
  return { ...rest, resources: split.elements.map(([s, e]) => JSON.parse(text.slice(s, e)) as unknown) };
}

const tricky = {
  version: 4,
  terraform_version: "1.9.8",
  serial: 7,
  lineage: 'x"y\\',
  // Strings that look like structure: braces, brackets, quotes, escapes, and the word resources.
  outputs: { resources: { value: ['"resources": [', "}{][", "\\\\", '\\"', "é \u2028 \u0000"], type: ["tuple", ["string"]] } },
  resources: [
    {
      mode: "managed",
      type: "aws_eks_pod_identity_association",
      name: "a",
      provider: 'provider["registry.terraform.io/hashicorp/aws"]',
      instances: [{ index_key: 'k"]}', attributes: associationAttributes({ serviceAccount: "a" }) }],
    },
    {
      mode: "data",
      type: "aws_caller_identity",
      name: "me",
      provider: 'provider["registry.terraform.io/hashicorp/aws"]',
      instances: [{ attributes: { id: "1", nested: [[{}], []] } }],
    },
  ],
  check_results: [{ resources: [1, 2] }],
};

describe("splitResources", () => {
  it.each([
    ["compact", JSON.stringify(tricky)],
    ["indented (as Terraform writes it)", JSON.stringify(tricky, null, 2)],
    ["tabs and CRLF", JSON.stringify(tricky, null, "\t").replace(/\n/g, "\r\n")],
    ["resources first", JSON.stringify({ resources: tricky.resources, version: 4 })],
    ["no resources", JSON.stringify({ ...tricky, resources: [] })],
  ])("finds every element (%s), whatever the strings hold", (_name, text) => {
    expect(rejoin(text)).toEqual(JSON.parse(text));
  });

  it.each([
    ["not an object", "[1, 2]"],
    ["no resources key", JSON.stringify({ version: 4 })],
    ["resources not an array", JSON.stringify({ version: 4, resources: { a: 1 } })],
    ["an element that is not an object or array", '{"version": 4, "resources": [{}, 3]}'],
    ["two resources keys", '{"version": 4, "resources": [{}], "resources": [[]]}'],
    ["an unterminated string", '{"version": 4, "resources": [{"a": "b}]}'],
    ["unbalanced", '{"version": 4, "resources": [{}]'],
  ])("leaves the text to JSON.parse when it is not plain (%s)", (_name, text) => {
    expect(splitResources(text)).toBeUndefined();
  });
});

describe("parseState, one resource at a time", () => {
  it("reads what a whole-text parse reads", () => {
    const doc = stateDocument([
      {
        type: "aws_eks_pod_identity_association",
        name: "x",
        each: "map",
        instances: [
          { index_key: 'we"ird}', attributes: associationAttributes({ serviceAccount: "one" }) },
          { index_key: "b", attributes: associationAttributes({ serviceAccount: "two" }) },
        ],
      },
    ]);
    const compact = parseState("s", JSON.stringify(doc));
    // A text the splitter leaves alone (resources before a duplicate key) is parsed whole, to the same result.
    const whole = parseState("s", JSON.stringify(doc).replace(/^\{/, '{"resources": [], '));
    expect(compact.associations.map((a) => [a.address, a.serviceAccount])).toEqual([
      ['aws_eks_pod_identity_association.x["we\\"ird}"]', "one"],
      ['aws_eks_pod_identity_association.x["b"]', "two"],
    ]);
    expect(whole).toEqual(compact);
  });

  it("a broken element is reported where JSON.parse of the whole file stops", () => {
    const good = JSON.stringify(
      stateDocument([{ type: "aws_eks_pod_identity_association", name: "x", instances: [{ attributes: associationAttributes() }] }]),
      null,
      2,
    );
    const text = good.replace('"mode": "managed",', '"mode": "managed"'); // a missing comma, inside the one resource
    let position = -1;
    try {
      JSON.parse(text);
    } catch (e) {
      position = Number(/position (\d+)/.exec((e as Error).message)![1]);
    }
    const line = text.slice(0, position).split("\n").length;
    expect(() => parseState("broken.tfstate", text)).toThrow(
      new RegExp(`^broken\\.tfstate: not valid JSON at line ${line}, column \\d+; the state file is corrupt$`),
    );
  });
});
