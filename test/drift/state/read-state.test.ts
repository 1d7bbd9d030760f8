import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseProviderAddress, readStateSources } from "../../../drift/state";
import type { StateReadResult, StateSnapshot } from "../../../drift/model";
import { AWS, associationAttributes, roleAttributes, stateDocument } from "./fixtures";

let dir: string;
const SECRET = "s3cr3t-value-never-copied";

async function write(name: string, content: string | object): Promise<string> {
  const path = join(dir, name);
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

function ok(r: StateReadResult | undefined): StateSnapshot {
  if (!r || !r.ok) throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r.snapshot;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "state-read-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const TRUST = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: "sts:AssumeRole" }] };

describe("readStateSources: parsing", () => {
  it("reads associations at any depth with count/for_each addresses, aliased provider strings and tags_all", async () => {
    await write(
      "full.tfstate",
      stateDocument([
        {
          type: "aws_eks_pod_identity_association",
          name: "root",
          provider: `${AWS}.cluster`,
          instances: [{ attributes: associationAttributes({ tagsAll: { team: "a", managed: "cdktf" }, tags: { team: "a" } }) }],
        },
        {
          module: "module.apps.module.chain",
          type: "aws_eks_pod_identity_association",
          name: "this",
          each: "map",
          provider: `${AWS}.cluster`,
          instances: [
            {
              index_key: "web",
              attributes: associationAttributes({
                id: "a-bbbbbbbbbbbbbbbbb",
                serviceAccount: "web",
                targetRoleArn: "arn:aws:iam::222222222222:role/t",
                disableSessionTags: true,
                externalId: "eu-west-1/111111111111/prod/apps/web",
              }),
            },
            { index_key: "api", attributes: associationAttributes({ id: "a-ccccccccccccccccc", serviceAccount: "api" }) },
          ],
        },
        {
          module: "module.legacy",
          type: "aws_eks_pod_identity_association",
          name: "counted",
          each: "list",
          provider: `module.legacy.${AWS}.inner`,
          instances: [
            { index_key: 0, attributes: associationAttributes({ id: "a-ddddddddddddddddd", serviceAccount: "c0", withArn: false, region: "us-east-2" }) },
          ],
        },
        { mode: "data", type: "aws_eks_pod_identity_association", name: "ignored", instances: [{ attributes: associationAttributes({ id: "a-data" }) }] },
        {
          type: "aws_eks_pod_identity_association",
          name: "replaced",
          instances: [{ deposed: "00000001", attributes: associationAttributes({ id: "a-deposed" }) }],
        },
        {
          type: "aws_iam_role",
          name: "target",
          provider: `${AWS}.target`,
          instances: [{ attributes: roleAttributes("target", "222222222222", TRUST, SECRET) }],
        },
        { type: "aws_db_instance", name: "db", instances: [{ attributes: { password: SECRET, id: "db" } }] },
      ]),
    );
    const [r] = await readStateSources(["full.tfstate"], { cwd: dir });
    const snap = ok(r);
    expect(snap.source).toBe("full.tfstate");
    expect(snap.associations.map((a) => a.address)).toEqual([
      "aws_eks_pod_identity_association.root",
      'module.apps.module.chain.aws_eks_pod_identity_association.this["web"]',
      'module.apps.module.chain.aws_eks_pod_identity_association.this["api"]',
      "module.legacy.aws_eks_pod_identity_association.counted[0]",
    ]);
    expect(snap.associations[0]).toEqual({
      source: "full.tfstate",
      address: "aws_eks_pod_identity_association.root",
      provider: `${AWS}.cluster`,
      providerAlias: "cluster",
      clusterName: "prod",
      namespace: "apps",
      serviceAccount: "web",
      associationId: "a-0123456789abcdefg",
      associationArn: "arn:aws:eks:eu-west-1:111111111111:podidentityassociation/prod/a-0123456789abcdefg",
      region: "eu-west-1",
      accountId: "111111111111",
      roleArn: "arn:aws:iam::111111111111:role/pod-identity",
      disableSessionTags: false,
      tags: { team: "a", managed: "cdktf" },
    });
    expect(snap.associations[1]).toMatchObject({
      targetRoleArn: "arn:aws:iam::222222222222:role/t",
      disableSessionTags: true,
      externalId: "eu-west-1/111111111111/prod/apps/web",
    });
    // No ARN: region from the `region` attribute, account unknown; provider declared inside the module.
    expect(snap.associations[3]).toMatchObject({ region: "us-east-2", provider: `module.legacy.${AWS}.inner`, providerAlias: "inner" });
    expect(snap.associations[3]!.accountId).toBeUndefined();
    expect(snap.roles).toEqual([
      {
        source: "full.tfstate",
        address: "aws_iam_role.target",
        provider: `${AWS}.target`,
        providerAlias: "target",
        arn: "arn:aws:iam::222222222222:role/target",
        name: "target",
        accountId: "222222222222",
        partition: "aws",
        uniqueId: "AROAEXAMPLEEXAMPLE01",
        assumeRolePolicy: JSON.stringify(TRUST),
        inlinePolicies: [{ name: "inline", policy: expect.stringContaining("s3:GetObject"), address: "aws_iam_role.target" }],
        attachments: [],
      },
    ]);
    // Only the needed attributes are read: nothing else from the state is carried along.
    expect(JSON.stringify(snap)).not.toContain(SECRET);
  });

  it("accepts a state with no resources, and a provider without alias", async () => {
    await write("empty-resources.tfstate", stateDocument([]));
    await write(
      "no-alias.tfstate",
      stateDocument([{ type: "aws_eks_pod_identity_association", name: "x", instances: [{ attributes: associationAttributes() }] }]),
    );
    const [a, b] = await readStateSources(["empty-resources.tfstate", "no-alias.tfstate"], { cwd: dir });
    expect(ok(a)).toEqual({ source: "empty-resources.tfstate", associations: [], roles: [] });
    const assoc = ok(b).associations[0]!;
    expect(assoc.provider).toBe(AWS);
    expect(assoc.providerAlias).toBeUndefined();
  });
});

describe("Terraform 0.12 provider addresses (state v4 before provider sources)", () => {
  it.each([
    ["provider.aws", undefined],
    ["provider.aws.cluster", "cluster"],
    ["module.apps.provider.aws.target", "target"],
  ])("%s is read, with its alias", async (provider, alias) => {
    await write(
      `legacy-${provider}.tfstate`,
      stateDocument([{ type: "aws_eks_pod_identity_association", name: "x", provider, instances: [{ attributes: associationAttributes() }] }], {
        terraform_version: "0.12.31",
      }),
    );
    const [r] = await readStateSources([`legacy-${provider}.tfstate`], { cwd: dir });
    const a = ok(r).associations[0]!;
    expect(a.provider).toBe(provider);
    expect(a.providerAlias).toBe(alias);
  });

  it("parses both forms to the same alias; anything else is not a provider address", () => {
    expect(parseProviderAddress("provider.aws.cluster")).toEqual({ source: "registry.terraform.io/-/aws", alias: "cluster" });
    expect(parseProviderAddress('module.a.provider["registry.terraform.io/hashicorp/aws"].cluster')).toEqual({
      module: "module.a",
      source: "registry.terraform.io/hashicorp/aws",
      alias: "cluster",
    });
    expect(parseProviderAddress("module.a.provider.aws")).toEqual({ module: "module.a", source: "registry.terraform.io/-/aws" });
    for (const bad of ["aws", "provider", "provider.", "provider.aws.", 'provider["x"].', "provider.aws.a.b"])
      expect(parseProviderAddress(bad)).toBeUndefined();
  });
});

describe("readStateSources: sources", () => {
  it("expands a glob to one result per file, sorted; file:// URLs; default terraform.*.tfstate in cwd", async () => {
    const project = join(dir, "project");
    await mkdir(join(project, "stacks"), { recursive: true });
    const doc = (sa: string) =>
      stateDocument([{ type: "aws_eks_pod_identity_association", name: "x", instances: [{ attributes: associationAttributes({ serviceAccount: sa }) }] }]);
    await writeFile(join(project, "terraform.b.tfstate"), JSON.stringify(doc("b")));
    await writeFile(join(project, "terraform.a.tfstate"), JSON.stringify(doc("a")));
    await writeFile(join(project, "terraform.a.tfstate.backup"), "not read");
    await writeFile(join(project, "stacks", "one.tfstate"), JSON.stringify(doc("one")));

    const byDefault = await readStateSources([], { cwd: project });
    expect(byDefault.map((r) => ok(r).source)).toEqual(["terraform.a.tfstate", "terraform.b.tfstate"]);

    const globbed = await readStateSources(["**/*.tfstate"], { cwd: project });
    expect(globbed.map((r) => ok(r).source)).toEqual(["stacks/one.tfstate", "terraform.a.tfstate", "terraform.b.tfstate"]);

    const url = pathToFileURL(join(project, "stacks", "one.tfstate")).href;
    const [viaUrl] = await readStateSources([url], { cwd: "/" });
    expect(ok(viaUrl).associations[0]!.serviceAccount).toBe("one");
    expect(ok(viaUrl).source).toBe(url);
  });

  it("reports a glob matching nothing, and the default with no state files, as errors", async () => {
    const emptyDir = await mkdtemp(join(tmpdir(), "state-empty-"));
    try {
      expect(await readStateSources(["nothing/*.tfstate"], { cwd: emptyDir })).toEqual([
        {
          ok: false,
          source: "nothing/*.tfstate",
          error: { code: "NoStateFiles", message: `nothing/*.tfstate: no state file matches this pattern (in ${emptyDir})` },
        },
      ]);
      const [r] = await readStateSources([], { cwd: emptyDir });
      expect(r).toMatchObject({ ok: false, source: "terraform.*.tfstate", error: { code: "NoStateFiles" } });
    } finally {
      await rm(emptyDir, { recursive: true, force: true });
    }
  });
});

describe("readStateSources: errors name the source and never quote the state", () => {
  const cases: Array<{ name: string; file?: string; content?: string | object; source?: string; code: string; message: RegExp }> = [
    { name: "missing file", source: "absent.tfstate", code: "StateNotFound", message: /^absent\.tfstate: no such state file/ },
    { name: "empty file", file: "empty.tfstate", content: "", code: "StateEmpty", message: /^empty\.tfstate: the file is empty/ },
    { name: "whitespace only", file: "blank.tfstate", content: "  \n", code: "StateEmpty", message: /empty/ },
    {
      name: "corrupt JSON",
      file: "corrupt.tfstate",
      content: `{"version": 4, "resources": [{"password": "${SECRET}", }]}`,
      code: "StateCorrupt",
      message: /^corrupt\.tfstate: not valid JSON( at line 1, column \d+)?; the state file is corrupt$/,
    },
    {
      name: "version 3",
      file: "v3.tfstate",
      content: { version: 3, terraform_version: "0.11.14", modules: [] },
      code: "StateVersionUnsupported",
      message: /^v3\.tfstate: state format version 3 \(Terraform < 0\.12\) is not supported.*terraform state pull/,
    },
    { name: "version 5", file: "v5.tfstate", content: { version: 5, resources: [] }, code: "StateVersionUnsupported", message: /version 5 is not supported/ },
    { name: "not an object", file: "array.tfstate", content: "[1,2]", code: "StateInvalid", message: /not a Terraform state/ },
    { name: "no version", file: "nover.tfstate", content: { resources: [] }, code: "StateInvalid", message: /no numeric "version"/ },
    {
      name: "malformed resource",
      file: "badres.tfstate",
      content: { version: 4, resources: [{ mode: "managed", type: "aws_iam_role", name: "x", provider: AWS, instances: "nope" }] },
      code: "StateInvalid",
      message: /^badres\.tfstate: malformed state: resources\[0\]\.instances: .*expected array/,
    },
    {
      name: "malformed association attribute",
      file: "badattr.tfstate",
      content: stateDocument([
        {
          type: "aws_eks_pod_identity_association",
          name: "x",
          each: "map",
          instances: [{ index_key: "k", attributes: { ...associationAttributes(), role_arn: 42 } }],
        },
      ]),
      code: "StateInvalid",
      message:
        /^badattr\.tfstate: malformed aws_eks_pod_identity_association\.x\["k"\]: resources\[0\]\.instances\[0\]\.attributes\.role_arn: .*expected string/,
    },
    {
      name: "bad provider address",
      file: "badprov.tfstate",
      content: stateDocument([
        { type: "aws_eks_pod_identity_association", name: "x", provider: "aws.cluster", instances: [{ attributes: associationAttributes() }] },
      ]),
      code: "StateInvalid",
      message: /resources\[0\]\.provider: not a provider address/,
    },
    { name: "unsupported scheme", source: "gs://bucket/key", code: "InvalidStateSource", message: /^gs:\/\/bucket\/key: unsupported state source/ },
  ];

  it.each(cases)("$name", async ({ file, content, source, code, message }) => {
    if (file) await write(file, content ?? "");
    const src = source ?? file!;
    const [r] = await readStateSources([src], { cwd: dir });
    expect(r).toMatchObject({ ok: false, source: src, error: { code } });
    const msg = (r as { error: { message: string } }).error.message;
    expect(msg).toMatch(message);
    expect(msg).not.toContain(SECRET);
  });

  it("keeps going past a bad source: one result per source, in order", async () => {
    await write("good.tfstate", stateDocument([]));
    const results = await readStateSources(["absent.tfstate", "good.tfstate"], { cwd: dir });
    expect(results.map((r) => r.ok)).toEqual([false, true]);
  });
});
