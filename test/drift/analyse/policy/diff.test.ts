// The statement-level diff a reader sees instead of two JSON blobs.
import { describe, expect, it } from "vitest";
import { comparePolicyTexts } from "../../../../drift/analyse/policy";
import { encodeRfc3986 } from "../../../support/iam-server";

const PI = "arn:aws:iam::111111111111:role/pod-identity/payments";

function lines(state: object | undefined, live: object | undefined): readonly string[] {
  const r = comparePolicyTexts(state && JSON.stringify(state), live && encodeRfc3986(JSON.stringify(live)), { resourceAccount: "222222222222" });
  if (r.same) throw new Error("compared equal");
  return r.lines;
}

const trust = (principal: unknown, condition: object) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: principal, Action: ["sts:AssumeRole", "sts:TagSession"], Condition: condition }],
});

describe("statement-level diff", () => {
  it("a statement changed in place reads as one change, element by element", () => {
    const before = trust(
      { AWS: "arn:aws:iam::111111111111:root" },
      { ArnEquals: { "aws:PrincipalARN": PI }, StringEquals: { "aws:RequestTag/kubernetes-namespace": "payments", "aws:SourceAccount": "111111111111" } },
    );
    const after = trust(
      { AWS: ["arn:aws:iam::111111111111:root", "arn:aws:iam::999999999999:root"] },
      { ArnEquals: { "aws:PrincipalARN": PI }, StringEquals: { "aws:RequestTag/kubernetes-namespace": ["payments", "billing"] } },
    );
    expect(lines(before, after)).toEqual([
      "~ statement #1: Principal AWS: + arn:aws:iam::999999999999:root",
      "~ statement #1: Condition StringEquals aws:RequestTag/kubernetes-namespace: + billing",
      "~ statement #1: Condition − StringEquals aws:SourceAccount 111111111111",
    ]);
  });

  it("added and removed statements are shown whole; statements with the same Sid are paired", () => {
    const before = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "Read", Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::ledger/*" },
        { Sid: "NoDelete", Effect: "Deny", Action: "s3:DeleteObject", Resource: "*" },
      ],
    };
    const after = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "Read", Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: ["arn:aws:s3:::ledger/*", "arn:aws:s3:::ledger"] },
        { Sid: "Admin", Effect: "Allow", NotAction: "iam:*", Resource: "*" },
      ],
    };
    expect(lines(before, after)).toEqual([
      '~ statement "Read": Action: + s3:ListBucket',
      '~ statement "Read": Resource: + arn:aws:s3:::ledger',
      '− statement "NoDelete": Deny s3:DeleteObject · on *',
      '+ statement "Admin": Allow all actions except iam:* · on *',
    ]);
  });

  it("a policy added or removed live, and a Version change", () => {
    const p = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
    expect(lines(undefined, p)).toEqual(["+ statement #1: Allow * · on *"]);
    expect(lines(p, undefined)).toEqual(["− statement #1: Allow * · on *"]);
    expect(lines(p, { ...p, Version: "2008-10-17" })).toEqual(["~ Version: 2012-10-17 → 2008-10-17"]);
  });

  it("Principal * and NotAction switches are spelled out", () => {
    expect(
      lines(trust({ AWS: "arn:aws:iam::111111111111:root" }, { ArnEquals: { "aws:PrincipalARN": PI } }), trust("*", { ArnEquals: { "aws:PrincipalARN": PI } })),
    ).toEqual(["~ statement #1: Principal AWS arn:aws:iam::111111111111:root → Principal *"]);
    const a = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] };
    const b = { Version: "2012-10-17", Statement: [{ Effect: "Allow", NotAction: "iam:*", Resource: "*" }] };
    expect(lines(a, b)).toEqual(["~ statement #1: Action s3:GetObject → NotAction iam:*"]);
  });
});
