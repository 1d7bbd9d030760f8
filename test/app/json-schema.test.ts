// The published JSON Schema (pod-identity.schema.json), checked with ajv, a validator independent of zod:
// it accepts the shipped example, refuses the README's error examples that a schema can express, and says
// of every string rule exactly what the rule's check says, on samples on both sides of each rule.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { configJsonSchemaText } from "../../modules/config/json-schema";
import { STRING_RULES } from "../../modules/validation/rules";

const ROOT = path.join(__dirname, "..", "..");
const ajv = new Ajv2020({ allErrors: true, strict: true });
const validate = ajv.compile(JSON.parse(readFileSync(path.join(ROOT, "pod-identity.schema.json"), "utf8")));
const example = () => load(readFileSync(path.join(ROOT, "pod-identity.yaml"), "utf8")) as Record<string, any>;

/** `associations[3].serviceAccount` → ["associations", 3, "serviceAccount"]. */
function parsePath(p: string): (string | number)[] {
  return [...p.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}

/** The error examples of a document: the lines of its first "N problems:" block. */
function errorExamples(file: string): { path: string; value?: string; line: string }[] {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  const block = /pod-identity\.yaml: \d+ problems:\n((?: {2}.*\n)+)Nothing was synthesized\./.exec(text);
  if (!block) throw new Error(`${file} has no error example block`);
  return block[1]!
    .trimEnd()
    .split("\n")
    .map((line) => {
      const m = /^ {2}([\w.[\]-]+): (?:"([^"]*)" )?/.exec(line)!;
      return { path: m[1]!, value: m[2], line };
    });
}

describe("pod-identity.schema.json", () => {
  it("is the one generated from the zod definition (npm run schema), and compiles in ajv's strict mode", () => {
    expect(readFileSync(path.join(ROOT, "pod-identity.schema.json"), "utf8")).toBe(configJsonSchemaText());
  });

  it("accepts the shipped example", () => {
    expect(validate(example()), ajv.errorsText(validate.errors)).toBe(true);
  });

  describe.each(["README.md", "docs/config.md"])("the error examples of %s", (file) => {
    const examples = errorExamples(file);
    it("are there to check", () => expect(examples.length).toBeGreaterThanOrEqual(3));
    for (const e of examples) {
      it(e.line.trim(), () => {
        const cfg = example();
        const where = parsePath(e.path);
        if (e.value === undefined) {
          // A reference to an undeclared key (e.g. `unknown cluster "nope"`): JSON Schema cannot see other
          // parts of the document; the loader reports these.
          expect(e.line).toMatch(/: unknown \w+/);
          return;
        }
        let target = cfg;
        for (const k of where.slice(0, -1)) target = target[k];
        target[where.at(-1)!] = e.value;
        expect(validate(cfg)).toBe(false);
        expect(validate.errors!.map((x) => x.instancePath)).toContain(`/${where.join("/")}`);
      });
    }
  });
});

describe("every string rule says in JSON Schema what its check says", () => {
  const samples: Record<keyof typeof STRING_RULES, string[]> = {
    accountId: ["111111111111", "011111111111", "11111111111", "1111111111111", "11111111111a", "", " 111111111111"],
    region: [
      "eu-west-1",
      "us-gov-west-1",
      "cn-northwest-1",
      "ap-southeast-2",
      "us-iso-east-1",
      "us-isob-east-1",
      "eu-isoe-west-1",
      "us-isolated-1",
      "europe",
      "EU-WEST-1",
      "eu-west",
      "eusc-de-east-1",
    ],
    roleName: ["pi", "a+b=c,d.e@f_g-h", "x".repeat(64), "x".repeat(65), "", "a b", "a/b", "é"],
    roleNamePrefix: ["p-", "x".repeat(38), "x".repeat(39), "", "a b"],
    rolePath: ["/", "/a/", "/a/b/", "/a:b/", "a/", "/a", "//", "/a//b/", "", "/a b/", "/é/", `/${"x".repeat(510)}/`, `/${"x".repeat(511)}/`],
    roleArn: [
      "arn:aws:iam::123456789012:role/name",
      "arn:aws-cn:iam::123456789012:role/a/b/name",
      "arn:aws-us-gov:iam::123456789012:role/n@x",
      "arn:aws:iam::123456789012:role/a:b/n",
      "arn:aws:iam::12345678901:role/n",
      "arn:aws:iam:eu-west-1:123456789012:role/n",
      "arn:aws:iam::123456789012:user/n",
      "arn:aws:iam::aws:role/n",
      "arn:azure:iam::123456789012:role/n",
      "arn:aws:iam::123456789012:role/",
      `arn:aws:iam::123456789012:role/${"x".repeat(64)}`,
      `arn:aws:iam::123456789012:role/${"x".repeat(65)}`,
      `arn:aws:iam::123456789012:role/${"p".repeat(510)}/n`,
      `arn:aws:iam::123456789012:role/${"p".repeat(511)}/n`,
      "arn:aws:iam::123456789012:role//n",
      "not-an-arn",
    ],
    policyArn: [
      "arn:aws:iam::aws:policy/AdministratorAccess",
      "arn:aws:iam::123456789012:policy/a/b",
      "arn:aws-cn:iam::aws:policy/x",
      "arn:aws:iam::123456789012:role/x",
      "arn:aws:s3:::b",
      "arn:foo:iam::aws:policy/x",
      "arn:aws:iam::12:policy/x",
      "policy/x",
    ],
    namespace: ["payments", "a", "1abc", "-a", "a-", "A", "a.b", "", "x".repeat(63), "x".repeat(64)],
    serviceAccount: ["api", "a.b", "a-b.c-d", "a..b", ".a", "a.", "A", "a_b", "", "x".repeat(253), "x".repeat(254)],
    clusterName: ["prod-eu", "a", "A_b-1", "9x", "", "-x", "_x", "a.b", "x".repeat(100), "x".repeat(101)],
    bucketName: ["tf-state", "a.b-c", "ab", "a".repeat(63), "a".repeat(64), "TF-State", "-state", "state-", "tf_state"],
    key: ["platform", "_x", "a-b_c", "9a", "a.b", "", "toString", "__proto__"],
    idKey: ["platform", "_x", "a-b_c", "9a", "a.b", "", "toString", "constructor", "__proto__", "__defineGetter__", "toStringx"],
  };
  for (const [name, rule] of Object.entries(STRING_RULES)) {
    it(name, () => {
      const check = ajv.compile({ type: "string", ...rule.jsonSchema });
      const values = samples[name as keyof typeof STRING_RULES];
      expect(values.filter((v) => check(v) !== (rule.check(v) === undefined))).toEqual([]);
      expect(values.some((v) => rule.check(v) === undefined) && values.some((v) => rule.check(v) !== undefined)).toBe(true);
    });
  }
});
