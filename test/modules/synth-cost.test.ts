// The two synth shortcuts keep cdktf's results: plain values resolved directly (modules/plain-resolve.ts)
// give the JSON cdktf's resolver gives, tokens of every kind included; token creation stacks left empty
// (modules/late.ts) leave errors their stacks.
import { describe, expect, it } from "vitest";
import { IamRole } from "../../modules/aws";
import { Lazy, TerraformLocal, TerraformOutput, TerraformStack, Testing, Token, Tokenization } from "../../modules/terraform-cdk";
import { withoutTokenCreationStacks } from "../../modules/late";
import { resolvingPlainValuesDirectly } from "../../modules/plain-resolve";

function stackWithEveryKindOfValue(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "s");
  const role = new IamRole(stack, "role", {
    name: "r",
    assumeRolePolicy: Lazy.stringValue({ produce: () => JSON.stringify({ Version: "2012-10-17", Statement: [] }) }),
    inlinePolicy: [{ name: "p", policy: "{}" }],
    tags: { team: "a", build: "1e3" },
  });
  const other = new IamRole(stack, "other", { name: "o", assumeRolePolicy: "{}", dependsOn: [role] });
  other.addOverride("lifecycle.ignore_changes", ["tags"]);
  new TerraformLocal(stack, "mixed", {
    literal: "${aws_iam_role.role.arn}",
    interpolated: `arn:${role.arn}/x`,
    list: Token.asList(Lazy.anyValue({ produce: () => ["a", "b"] })),
    listInList: [["x", Token.asString(Lazy.stringValue({ produce: () => "y" }))]],
    number: Token.asNumber(Lazy.numberValue({ produce: () => 7 })),
    plainNumber: 42,
    exponent: "v-2e10",
    nested: { deep: [{ value: role.name, absent: undefined }, null, true] },
    map: Token.asStringMap(Lazy.anyValue({ produce: () => ({ k: "v" }) })),
  });
  new TerraformOutput(stack, "out", { value: { arn: role.arn, names: [role.name, other.name] } });
  stack.addOverride("terraform.required_version", ">= 1.5");
  return stack;
}

describe("resolvingPlainValuesDirectly", () => {
  it("synthesizes what cdktf's resolver synthesizes, for plain values and every kind of token", () => {
    const expected = stackWithEveryKindOfValue().toTerraform();
    const actual = resolvingPlainValuesDirectly(() => stackWithEveryKindOfValue().toTerraform());
    expect(actual).toEqual(expected);
    expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
    expect(JSON.stringify(actual)).not.toContain("TfToken");
  });

  it("hands cdktf's resolver only what may hold a token", () => {
    const original = Tokenization.resolve;
    const given: unknown[] = [];
    Tokenization.resolve = (obj, options) => {
      given.push(obj);
      return original(obj, options);
    };
    try {
      resolvingPlainValuesDirectly(() => stackWithEveryKindOfValue().toTerraform());
    } finally {
      Tokenization.resolve = original;
    }
    expect(given.length).toBeGreaterThan(0);
    for (const value of given) expect(JSON.stringify(value) ?? String(value)).toMatch(/TfToken|^-?\d|"\$\{TfToken|e\+?\d/);
  });

  it("restores cdktf's resolver afterwards, also when synthesis throws", () => {
    const original = Tokenization.resolve;
    expect(() =>
      resolvingPlainValuesDirectly(() => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(Tokenization.resolve).toBe(original);
  });
});

describe("withoutTokenCreationStacks", () => {
  it("creates tokens without a creation stack, keeps the stacks of errors, and restores stack capture", () => {
    const before = Error.captureStackTrace;
    class CustomError extends Error {
      public constructor() {
        super("custom");
        Error.captureStackTrace(this, CustomError);
      }
    }
    const { token, error, custom } = withoutTokenCreationStacks(() => ({
      token: Lazy.stringValue({ produce: () => "x" }),
      error: new Error("kept"),
      custom: new CustomError(),
    }));
    expect(Tokenization.reverseString(token).firstToken?.creationStack).toEqual([]);
    expect(error.stack).toMatch(/^Error: kept\n\s+at /);
    expect(custom.stack).toMatch(/^Error: custom\n\s+at /);
    expect(Error.captureStackTrace).toBe(before);
    // Outside, cdktf records where a token was made.
    expect(Tokenization.reverseString(Lazy.stringValue({ produce: () => "y" })).firstToken?.creationStack.length).toBeGreaterThan(0);
  });
});
