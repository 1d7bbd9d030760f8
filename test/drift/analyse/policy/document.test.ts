// Normalisation: what IAM treats as the same document compares equal, anything else does not.
import { describe, expect, it } from "vitest";
import { comparePolicyTexts, decodeIamDocument, parsePolicy, policyHash, policyJson, samePolicy } from "../../../../drift/analyse/policy";
import { encodeRfc3986 } from "../../../support/iam-server";

const PI = "arn:aws:iam::111111111111:role/pod-identity/payments";

const trust = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::111111111111:root" },
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Condition: { ArnEquals: { "aws:PrincipalARN": PI }, StringEquals: { "aws:RequestTag/kubernetes-namespace": "payments" } },
    },
    { Sid: "Deny", Effect: "Deny", Principal: "*", Action: "sts:AssumeRole", Condition: { Bool: { "aws:SecureTransport": false } } },
  ],
};

function same(a: string, b: string, opts: { bEncoded?: boolean } = {}): boolean {
  const x = parsePolicy(a);
  const y = parsePolicy(b, { urlEncoded: opts.bEncoded ?? false });
  if (!x.ok || !y.ok) throw new Error(`unparsable: ${JSON.stringify([x, y])}`);
  return samePolicy(x.policy, y.policy);
}

describe("policy documents: what is not a change", () => {
  const base = JSON.stringify(trust);
  it.each([
    ["URL-encoding (RFC 3986, as IAM returns documents)", encodeRfc3986(base), true],
    ["whitespace and indentation", JSON.stringify(trust, null, 4), false],
    [
      "key order",
      JSON.stringify({ Statement: [...trust.Statement].map((s) => Object.fromEntries(Object.entries(s).reverse())), Version: "2012-10-17" }),
      false,
    ],
    ["statement order", JSON.stringify({ ...trust, Statement: [...trust.Statement].reverse() }), false],
    [
      "a single value vs a one-element array, value order, duplicates",
      JSON.stringify({
        ...trust,
        Statement: [
          {
            ...trust.Statement[0],
            Principal: { AWS: ["arn:aws:iam::111111111111:root"] },
            Action: ["sts:TagSession", "sts:AssumeRole", "sts:AssumeRole"],
            Condition: { ArnEquals: { "aws:PrincipalARN": [PI] }, StringEquals: { "aws:RequestTag/kubernetes-namespace": ["payments"] } },
          },
          { ...trust.Statement[1], Action: ["sts:AssumeRole"], Condition: { Bool: { "aws:SecureTransport": "false" } } },
        ],
      }),
      false,
    ],
    ["the case of actions and condition keys", base.replace("sts:AssumeRole", "STS:assumeRole").replace("aws:PrincipalARN", "aws:principalarn"), false],
    ["a bare account id as AWS principal (IAM stores the root ARN)", base.replace('"arn:aws:iam::111111111111:root"', '"111111111111"'), false],
    ["a duplicated statement", JSON.stringify({ ...trust, Statement: [...trust.Statement, trust.Statement[0]] }), false],
  ])("%s", (_what, variant, encoded) => {
    expect(same(base, variant, { bEncoded: encoded })).toBe(true);
    expect(comparePolicyTexts(base, encoded ? variant : encodeRfc3986(variant))).toEqual({ same: true });
  });

  it("an absent Version is 2008-10-17", () => {
    const p = parsePolicy('{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}');
    expect(p.ok && p.policy.version).toBe("2008-10-17");
  });

  it("IAM's encoding is undone only for documents that are encoded", () => {
    expect(decodeIamDocument("%7B%22a%22%3A1%7D")).toBe('{"a":1}');
    // A plain document containing a percent sign is left alone (an encoded one never starts with "{").
    expect(decodeIamDocument(' {"Condition":"50%"}')).toBe(' {"Condition":"50%"}');
  });

  it("the normal form renders single values unwrapped and keeps the written order; the hash ignores order", () => {
    const p = parsePolicy(JSON.stringify(trust));
    const q = parsePolicy(JSON.stringify({ ...trust, Statement: [...trust.Statement].reverse() }));
    if (!p.ok || !q.ok) throw new Error("unparsable");
    expect(policyJson(p.policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::111111111111:root" },
          Action: ["sts:AssumeRole", "sts:TagSession"],
          Condition: { ArnEquals: { "aws:PrincipalARN": PI }, StringEquals: { "aws:RequestTag/kubernetes-namespace": "payments" } },
        },
        { Sid: "Deny", Effect: "Deny", Principal: "*", Action: "sts:AssumeRole", Condition: { Bool: { "aws:SecureTransport": "false" } } },
      ],
    });
    expect(policyHash(p.policy)).toBe(policyHash(q.policy));
  });
});

describe("policy documents: what is a change", () => {
  const base = JSON.stringify(trust);
  it.each([
    ["a Sid", base.replace('"Sid":"Deny"', '"Sid":"DenyInsecure"')],
    ["a principal", base.replace("111111111111:root", "222222222222:root")],
    ["a condition value", base.replace('"payments"', '"billing"')],
    ["a condition operator", base.replace("StringEquals", "StringLike")],
    ["Principal * vs AWS *", base.replace('"Principal":"*"', '"Principal":{"AWS":"*"}')],
    ["the resource's case", '{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::Ledger/*"}}'],
    ["the Version", base.replace("2012-10-17", "2008-10-17")],
  ])("%s", (_what, variant) => {
    expect(same(base, variant)).toBe(false);
  });

  it("a document that is not a policy is reported, never thrown", () => {
    expect(parsePolicy("{")).toEqual({ ok: false, error: "not valid JSON" });
    expect(parsePolicy("%E0%A4%A", { urlEncoded: true })).toEqual({ ok: false, error: "not valid URL encoding" });
    expect(parsePolicy('{"Statement":[{"Effect":"Maybe","Action":"s3:*"}]}')).toEqual({ ok: false, error: 'Statement 1: Effect must be "Allow" or "Deny"' });
    expect(parsePolicy('{"Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*"}]}')).toEqual({
      ok: false,
      error: "Statement 1: both Action and NotAction",
    });
    expect(parsePolicy('{"Statement":[{"Effect":"Allow","Resource":"*"}]}')).toEqual({ ok: false, error: "Statement 1: needs Action or NotAction" });
    const c = comparePolicyTexts('{"Statement":[]', encodeRfc3986(base));
    expect(c.same).toBe(false);
    expect(!c.same && c.judgement).toEqual({ broadens: null, reason: "state's document is not a valid policy (not valid JSON)" });
  });
});
