// The target role's trust policy as Terraform expressions, merged over any number of associations that only
// Terraform knows (this call's and `trusted_associations`).
//
// The statements of one association are those of ../policy/trust.ts, rendered with a marker for each field
// of the association: every statement of one shape (effect, actions, principal type, condition keys) is then
// a set of "dimensions", the principal and the value of each condition key, each a template over the
// association's fields. Merging follows the rule of ../policy/private/merge.ts: statements of one shape that
// agree in every dimension but one become one statement with the union of that dimension. merge.ts applies
// passes in dimension order (principals, then condition keys by operator and key) until nothing changes;
// here ONE round of passes is enough and gives exactly its statements: every statement starts with one value
// per dimension, so after the pass along dimension d no two statements agree on all the other dimensions,
// and the later passes only unite statements that agree on d. A second round would find nothing to merge.
// The statements are then ordered as merge.ts orders them (by their canonical JSON) and rendered with
// ../policy/statement.ts's layout (a list of one written as that value), so for the same associations the
// module writes the same trust policy, character for character, as the constructs.
import { PolicyDocument } from "../policy/document";
import { renderStatement, type StatementParts } from "../policy/statement";
import { targetTrustStatements, type TargetTrustGrant } from "../policy/trust";

import { escapeTemplate, expr, hclString, marker, nativeString, nativeValue, Raw, snakeCase } from "./hcl";
import { ROLE_ARN_PARTS } from "./rules";

/** The attributes of one association in the grants local, by the field of TargetTrustGrant they stand for. */
const GRANT_ATTRIBUTES = {
  partition: "partition",
  region: "region",
  clusterAccountId: "cluster_account_id",
  clusterName: "cluster_name",
  namespace: "namespace",
  serviceAccount: "service_account",
  podIdentityRoleArn: "pod_identity_role_arn",
} as const satisfies Partial<Record<keyof TargetTrustGrant, string>>;

type GrantField = keyof typeof GRANT_ATTRIBUTES;

interface Dimension {
  /** The attribute of a statement object holding this dimension's values. */
  readonly name: string;
  /** Where it is in the statement's parts. */
  readonly at: { readonly kind: "principal" } | { readonly kind: "condition"; readonly op: string; readonly key: string };
  /** Its value for one association, as a template over the association's fields. */
  readonly template: string;
}

interface Shape {
  readonly name: string;
  /** The session-tag settings whose statements have this shape. */
  readonly sessionTags: ReadonlySet<boolean>;
  readonly parts: StatementParts;
  readonly dimensions: readonly Dimension[];
}

/** The locals that compute the merged trust policy: local name → .tf.json value, in dependency order. */
export interface MergedTrustLocals {
  readonly locals: ReadonlyArray<readonly [name: string, value: string]>;
  /** The local holding the list of associations the role trusts. */
  readonly grants: string;
  /** The local holding the policy JSON. */
  readonly policy: string;
}

/**
 * The locals computing the trust policy for `associations`, an HCL list of objects in the form of the
 * `trusted_associations` input (pod_identity_role_arn, cluster_name, cluster_region, namespace,
 * service_account, session_tags). A Pod Identity role is in its cluster's account (EKS checks iam:PassRole
 * there), so its ARN gives the cluster's account and partition.
 */
export function mergedTrustLocals(associations: string, prefix: string): MergedTrustLocals {
  const parts = (arn: string): string => `regex(${hclString(ROLE_ARN_PARTS)}, ${arn})`;
  const grants = `${prefix}_grants`;
  const locals: [string, string][] = [
    [
      grants,
      expr(
        `[for t in ${associations} : { ${GRANT_ATTRIBUTES.partition} = ${parts("t.pod_identity_role_arn")}.partition, ${GRANT_ATTRIBUTES.region} = t.cluster_region, ${GRANT_ATTRIBUTES.clusterAccountId} = ${parts("t.pod_identity_role_arn")}.account_id, ${GRANT_ATTRIBUTES.clusterName} = t.cluster_name, ${GRANT_ATTRIBUTES.namespace} = t.namespace, ${GRANT_ATTRIBUTES.serviceAccount} = t.service_account, ${GRANT_ATTRIBUTES.podIdentityRoleArn} = t.pod_identity_role_arn, session_tags = t.session_tags }]`,
      ),
    ],
  ];
  const finals: { shape: Shape; local: string }[] = [];
  for (const shape of trustShapes()) {
    const base = `${prefix}_${shape.name}`;
    const filter = shape.sessionTags.size === 2 ? "" : ` if ${shape.sessionTags.has(true) ? "" : "!"}g.session_tags`;
    const grantRefs = (name: string): string => `g.${attributeOf(name)}`;
    const one = nativeValue(Object.fromEntries(shape.dimensions.map((d) => [d.name, [new Raw(nativeString(d.template, grantRefs))]])));
    locals.push([base, expr(`[for g in local.${grants} : ${one}${filter}]`)]);
    let previous = base;
    for (const d of shape.dimensions) {
      const next = `${base}_${d.name}`;
      const others = shape.dimensions.filter((o) => o !== d).map((o) => `st.${o.name}`);
      locals.push([
        next,
        expr(
          `[for key, group in { for st in local.${previous} : jsonencode([${others.join(", ")}]) => st... } : merge(group[0], { ${d.name} = sort(distinct(flatten(group[*].${d.name}))) })]`,
        ),
      ]);
      previous = next;
    }
    finals.push({ shape, local: previous });
  }

  const statements = `${prefix}_statements`;
  const byCanonical = finals.map(({ shape, local }) => `{ for st in local.${local} : ${canonicalKey(shape)} => ${statementText(shape)}... }`);
  locals.push([statements, expr(byCanonical.length === 1 ? byCanonical[0]! : `merge(${byCanonical.join(", ")})`)]);

  // The document around the statements, as the constructs render it.
  const empty = new PolicyDocument().toJsonString();
  const slot = empty.indexOf("[]");
  if (slot < 0 || empty.indexOf("[]", slot + 1) >= 0) throw new Error(`unexpected empty policy document: ${empty}`);
  const policy = `${prefix}_policy`;
  locals.push([
    policy,
    `${escapeTemplate(empty.slice(0, slot + 1))}${expr(`join(",", [for key, texts in local.${statements} : texts[0]])`)}${escapeTemplate(empty.slice(slot + 1))}`,
  ]);
  return { locals, grants, policy };
}

function attributeOf(markerName: string): string {
  const attribute = (GRANT_ATTRIBUTES as Record<string, string>)[markerName];
  if (attribute === undefined) throw new Error(`trust statement uses an unknown association field ${markerName}`);
  return attribute;
}

/** The statement shapes of one association's trust, for session tags on and off. */
function trustShapes(): Shape[] {
  const shapes = new Map<string, Shape>();
  for (const sessionTags of [true, false]) {
    const grant = {
      ...(Object.fromEntries(Object.keys(GRANT_ATTRIBUTES).map((f) => [f, marker(f)])) as Record<GrantField, string>),
      sessionTags,
    };
    for (const statement of targetTrustStatements(grant)) {
      const parts = statement.toParts();
      const dimensions = dimensionsOf(parts);
      const signature = JSON.stringify({ ...parts, principals: Object.keys(parts.principals), conditions: dimensions.map((d) => d.at) });
      const existing = shapes.get(signature);
      if (existing) {
        (existing.sessionTags as Set<boolean>).add(sessionTags);
        continue;
      }
      const name = parts.actions.map((a) => snakeCase(a.replace(/^[^:]*:/, ""))).join("_and_");
      if ([...shapes.values()].some((s) => s.name === name)) throw new Error(`two trust statement shapes are both named ${name}`);
      shapes.set(signature, { name, sessionTags: new Set([sessionTags]), parts, dimensions });
    }
  }
  return [...shapes.values()];
}

/** The dimensions of a statement, in merge.ts's order; anything merge.ts could merge but this cannot, throws. */
function dimensionsOf(parts: StatementParts): Dimension[] {
  const types = Object.keys(parts.principals);
  const principal = parts.principals.AWS;
  if (parts.sid !== undefined || parts.resources.length > 0 || types.length !== 1 || principal?.length !== 1) {
    throw new Error(`the module can only merge trust statements with one AWS principal, no Sid and no Resource: ${JSON.stringify(parts)}`);
  }
  const dimensions: Dimension[] = [{ name: "principal", at: { kind: "principal" }, template: principal[0]! }];
  for (const [op, keys] of Object.entries(parts.conditions)) {
    for (const [key, values] of Object.entries(keys)) {
      if (values.length !== 1) throw new Error(`trust condition ${op} ${key} has ${values.length} values for one association`);
      dimensions.push({ name: snakeCase(key.replace(/^.*[:/]/, "")), at: { kind: "condition", op, key }, template: values[0]! });
    }
  }
  if (new Set(dimensions.map((d) => d.name)).size !== dimensions.length)
    throw new Error(`trust condition keys with the same last part: ${JSON.stringify(parts)}`);
  return dimensions;
}

/** The parts with each dimension's values replaced by `value(dimension)`. */
function partsWith(shape: Shape, value: (d: Dimension) => unknown): Record<string, unknown> {
  const conditions: Record<string, Record<string, unknown>> = {};
  for (const [op, keys] of Object.entries(shape.parts.conditions)) {
    conditions[op] = {};
    for (const key of Object.keys(keys)) {
      conditions[op]![key] = value(shape.dimensions.find((d) => d.at.kind === "condition" && d.at.op === op && d.at.key === key)!);
    }
  }
  return { principals: { AWS: value(shape.dimensions[0]!) }, conditions };
}

/** merge.ts's sort key of a statement (its canonical JSON), as an HCL expression on `st`. */
function canonicalKey(shape: Shape): string {
  const { principals, conditions } = partsWith(shape, (d) => new Raw(`st.${d.name}`));
  const p = shape.parts;
  return `jsonencode(${nativeValue([p.sid ?? "", p.effect, principals, [...p.actions], [...p.resources], conditions])})`;
}

/** The statement's JSON as the constructs render it, as an HCL template on `st`. */
function statementText(shape: Shape): string {
  const rendered = renderStatement({
    ...shape.parts,
    ...(partsWith(shape, (d) => [marker(`=${d.name}`)]) as Pick<StatementParts, "principals" | "conditions">),
  });
  // A dimension's JSON is its value alone when it has one, else the list (statement.ts's oneOrMany).
  const json = JSON.stringify(rendered).replace(/"(\u27e8=[^\u27e9]*\u27e9)"/g, "$1");
  return nativeString(json, (name) => {
    const d = name.slice(1);
    return `length(st.${d}) == 1 ? jsonencode(st.${d}[0]) : jsonencode(st.${d})`;
  });
}
