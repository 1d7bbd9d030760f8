// The drift daemon's own IAM: a least-privilege role for the daemon's pod (with its Pod Identity
// association), and a reader role per other account that trusts only the daemon role.
//
// What the check calls, and so all that is granted (IAM service authorization reference, EKS and S3):
//   eks:ListPodIdentityAssociations     resource type cluster                 → the listed clusters' ARNs
//   eks:DescribePodIdentityAssociation  resource type podidentityassociation  → podidentityassociation/CLUSTER/*
//                                       of the same clusters (Describe is not authorized on the cluster ARN)
//   s3:GetObject                        the state objects (default workspace and/or named workspaces)
//   s3:ListBucket                       the bucket, only with workspaces, with an s3:prefix condition on the
//                                       workspace keys (lets S3 answer NoSuchKey instead of AccessDenied)
//   sts:AssumeRole + sts:TagSession     exactly the per-account reader roles. TagSession because a Pod
//                                       Identity session carries EKS's transitive session tags into every
//                                       role it chains to, and STS then requires it (domain brief, section 1)
//   kms:Decrypt                         only when the caller names the state's KMS keys
//   iam:GetRole, iam:ListRolePolicies,  resource type role → exactly the chain roles named (roleArns), in
//   iam:GetRolePolicy,                  the role's own account (IAM reads the caller's account)
//   iam:ListAttachedRolePolicies
//   iam:GetPolicy, iam:GetPolicyVersion resource type policy → AWS managed policies and this account's, only
//                                       with roleArns: the documents of attachments that differ from state
// Nothing is granted on `*`.
import { Token } from "./terraform-cdk";
import { dependOn } from "./late";
import type { Construct } from "constructs";
import { EksPodIdentityAssociation } from "./aws";
import { accountRootArn, clusterArn, parseArn, parseRoleArn } from "./policy/arn";
import { PolicyDocument } from "./policy/document";
import { PolicyStatement } from "./policy/statement";
import { ASSUME_ROLE, podIdentityTrustStatements, TAG_SESSION } from "./policy/trust";
import { RoleBase, type RoleBaseProps, type RoleOptions } from "./role-base";
import { bucketNameRule, clusterNameProblem, namespaceProblem, regionProblem, roleArnProblem, serviceAccountProblem } from "./validation/rules";

/** The inline policy both roles carry. */
export const DRIFT_READ_POLICY_NAME = "pod-identity-drift-read";
/** The daemon's Kubernetes namespace unless `namespace` says otherwise (deploy/kubernetes uses it). */
export const DRIFT_DEFAULT_NAMESPACE = "pod-identity-drift";
/** The daemon's Kubernetes service account unless `serviceAccount` says otherwise. */
export const DRIFT_DEFAULT_SERVICE_ACCOUNT = "pod-identity-drift";

/** Terraform state objects in S3 that the daemon reads. */
export interface DriftStateObjects {
  /** The bucket name. */
  readonly bucket: string;
  /** Object keys (the S3 backend's `key`), e.g. `platform/terraform.tfstate`. */
  readonly keys: readonly string[];
  /**
   * Workspaces read besides (or instead of) the default one, at `<workspaceKeyPrefix>/<workspace>/<key>`;
   * `"*"` for all. Adds s3:ListBucket on the bucket, limited by s3:prefix to those keys. @default - none
   */
  readonly workspaces?: readonly string[] | "*";
  /** @default "env:" (the S3 backend's default) */
  readonly workspaceKeyPrefix?: string;
  /** Read the default workspace's object at `key`. @default true */
  readonly defaultWorkspace?: boolean;
  /** KMS keys the objects are encrypted with (SSE-KMS): adds kms:Decrypt on exactly these. @default - none (SSE-S3) */
  readonly kmsKeyArns?: readonly string[];
}

/** What both drift roles may read. */
export interface DriftReadScope {
  /** EKS cluster ARNs, in the role's own account, whose associations the role lists and describes. @default - none */
  readonly clusterArns?: readonly string[];
  /** Terraform state in S3 (in any account whose bucket policy allows it). @default - none */
  readonly state?: DriftStateObjects;
  /**
   * IAM roles of the chains, in the role's own account, whose trust and policies the drift check compares with
   * state: the read actions on exactly these, and iam:GetPolicy / iam:GetPolicyVersion on the managed policies
   * that can be attached to them (AWS's and this account's: an attachment that differs from state is judged
   * from its document). @default - none
   */
  readonly roleArns?: readonly string[];
}

/** Options of the daemon's role. */
export interface DriftReaderRoleOptions extends RoleOptions, DriftReadScope {
  /** Kubernetes namespace of the daemon. @default "pod-identity-drift" */
  readonly namespace?: string;
  /** Kubernetes service account of the daemon. @default "pod-identity-drift" */
  readonly serviceAccount?: string;
  /** Narrow the trust of pods.eks.amazonaws.com with aws:SourceAccount = this account. @default true */
  readonly restrictSourceAccount?: boolean;
  /** Per-account reader roles the daemon assumes (sts:AssumeRole). More with addAccountReader. @default - none */
  readonly readerRoleArns?: readonly string[];
}

/** Props of DriftReaderRole: its options, the role's account, and the cluster the daemon runs in. */
export interface DriftReaderRoleProps extends DriftReaderRoleOptions, RoleBaseProps {
  /** The cluster the daemon runs in (in `account`): its Pod Identity association is created there. */
  readonly clusterName: string;
  /** The region of that cluster (the association's `region`). @default - the account's region */
  readonly clusterRegion?: string;
}

/** Options of a reader role in another account. */
export interface DriftAccountReaderRoleOptions extends RoleOptions, DriftReadScope {
  /** Require this sts:ExternalId (the drift config's `accounts.<id>.externalId`). @default - none */
  readonly externalId?: string;
}

/** Props of DriftAccountReaderRole: its options, the role's account, and the daemon role it trusts. */
export interface DriftAccountReaderRoleProps extends DriftAccountReaderRoleOptions, RoleBaseProps {
  /** The daemon's role ARN: the only principal trusted (principal-root + aws:PrincipalARN). */
  readonly daemonRoleArn: string;
}

/** The daemon's role and its Pod Identity association. */
export class DriftReaderRole extends RoleBase {
  /** The daemon's Pod Identity association (in the cluster `clusterName`). */
  public readonly association: EksPodIdentityAssociation;
  /** The daemon's Kubernetes namespace. */
  public readonly namespace: string;
  /** The daemon's Kubernetes service account. */
  public readonly serviceAccount: string;
  private readonly readers: string[];
  private readonly props: DriftReaderRoleProps;

  public constructor(scope: Construct, id: string, props: DriftReaderRoleProps) {
    if (props.existingRoleArn !== undefined) {
      throw new Error(
        `drift reader role "${props.label ?? id}": existingRoleArn is not supported: this construct exists to create the daemon's least-privilege role`,
      );
    }
    super(scope, id, { ...props, defaultName: props.defaultName ?? "pod-identity-drift" }, "drift reader role");
    this.props = props;
    this.namespace = props.namespace ?? DRIFT_DEFAULT_NAMESPACE;
    this.serviceAccount = props.serviceAccount ?? DRIFT_DEFAULT_SERVICE_ACCOUNT;
    this.readers = [...(props.readerRoleArns ?? [])];
    for (const a of this.readers) assertRoleArn(`drift reader role "${this.label}": readerRoleArns`, a);
    assertScope(`drift reader role "${this.label}"`, props);
    this.addInlinePolicy(DRIFT_READ_POLICY_NAME, () => this.permissionDocument().toJsonString());
    this.association = new EksPodIdentityAssociation(this, "association", {
      provider: props.account.provider,
      region: props.clusterRegion ?? props.account.region,
      clusterName: props.clusterName,
      namespace: this.namespace,
      serviceAccount: this.serviceAccount,
      roleArn: this.arn,
    });
    dependOn(this.association, this.dependables());
    this.node.addValidation({ validate: () => this.validateDaemon() });
  }

  /** Creates the reader role in another account, trusting only this role, and allows this role to assume it. */
  public addAccountReader(scope: Construct, id: string, props: Omit<DriftAccountReaderRoleProps, "daemonRoleArn">): DriftAccountReaderRole {
    const reader = new DriftAccountReaderRole(scope, id, { ...props, daemonRoleArn: this.arn });
    this.readers.push(reader.arn);
    return reader;
  }

  /** The reader role ARNs this role may assume. */
  public get readerRoleArns(): readonly string[] {
    return this.readers;
  }

  /**
   * pods.eks.amazonaws.com, only for the daemon's own pods: the session tags EKS Pod Identity sets on the
   * request (`eks-cluster-arn`, `kubernetes-namespace`, `kubernetes-service-account`) must name its cluster,
   * namespace and service account (not aws:SourceArn, which is reported to break credentials).
   */
  public trustDocument(): PolicyDocument {
    const restrict = this.props.restrictSourceAccount ?? true;
    return new PolicyDocument().addStatements(
      ...podIdentityTrustStatements({
        sourceAccount: restrict ? this.account.accountId : undefined,
        clusterArn: clusterArn(this.account.partition, this.props.clusterRegion ?? this.account.region, this.account.accountId, this.props.clusterName),
        serviceAccounts: [{ namespace: this.namespace, serviceAccount: this.serviceAccount }],
      }),
    );
  }

  /** The read statements of its scope, and sts:AssumeRole on the account reader roles. */
  public permissionDocument(): PolicyDocument {
    const doc = readDocument(this.props, this.account.partition, this.account.accountId);
    if (this.readers.length > 0) {
      doc.addStatements(new PolicyStatement({ sid: "AssumeAccountReaders", actions: [ASSUME_ROLE, TAG_SESSION], resources: [...new Set(this.readers)] }));
    }
    return doc;
  }

  private validateDaemon(): string[] {
    const where = `drift reader role "${this.label}" (account ${this.account.accountId})`;
    const errors: string[] = [];
    const add = (field: string, p: string | undefined) => p && errors.push(`${where}: ${field}: ${p}`);
    add("clusterName", clusterNameProblem(this.props.clusterName));
    if (this.props.clusterRegion !== undefined) add("clusterRegion", regionProblem(this.props.clusterRegion));
    add("namespace", namespaceProblem(this.namespace));
    add("serviceAccount", serviceAccountProblem(this.serviceAccount));
    errors.push(...scopeProblems(where, this.props, this.account.accountId));
    for (const r of this.readers) {
      const parsed = parseRoleArn(r);
      if (parsed && !Token.isUnresolved(r) && parsed.account === this.account.accountId) {
        errors.push(
          `${where}: readerRoleArns: "${r}" is in the daemon's own account; read this account's clusters directly (clusterArns) instead of through a reader role`,
        );
      }
    }
    if (this.permissionDocument().isEmpty) {
      errors.push(`${where}: nothing to read: give clusterArns, state, roleArns or reader roles`);
    }
    return errors;
  }
}

/** A reader role in another account: read-only on that account's clusters, trusted only by the daemon role. */
export class DriftAccountReaderRole extends RoleBase {
  private readonly props: DriftAccountReaderRoleProps;

  public constructor(scope: Construct, id: string, props: DriftAccountReaderRoleProps) {
    if (props.existingRoleArn !== undefined) {
      throw new Error(`drift account reader role "${props.label ?? id}": existingRoleArn is not supported`);
    }
    assertRoleArn(`drift account reader role "${props.label ?? id}": daemonRoleArn`, props.daemonRoleArn);
    assertScope(`drift account reader role "${props.label ?? id}"`, props);
    super(scope, id, { ...props, defaultName: props.defaultName ?? "pod-identity-drift-reader" }, "drift account reader role");
    this.props = props;
    this.addInlinePolicy(DRIFT_READ_POLICY_NAME, () => this.permissionDocument().toJsonString());
    this.node.addValidation({ validate: () => this.validateReader() });
  }

  /** principal = the daemon account's root, narrowed to the daemon role with ArnEquals aws:PrincipalARN. */
  public trustDocument(): PolicyDocument {
    const daemon = parseRoleArn(this.props.daemonRoleArn)!;
    const s = new PolicyStatement({ actions: [ASSUME_ROLE, TAG_SESSION] })
      .addAwsPrincipal(accountRootArn(daemon.partition, daemon.account))
      .addCondition("ArnEquals", "aws:PrincipalARN", this.props.daemonRoleArn);
    if (this.props.externalId === undefined) return new PolicyDocument().addStatements(s);
    // sts:ExternalId is only present on AssumeRole: the condition goes on that action alone.
    const assume = new PolicyStatement({ actions: [ASSUME_ROLE] })
      .addAwsPrincipal(accountRootArn(daemon.partition, daemon.account))
      .addCondition("ArnEquals", "aws:PrincipalARN", this.props.daemonRoleArn)
      .addCondition("StringEquals", "sts:ExternalId", this.props.externalId);
    const tag = new PolicyStatement({ actions: [TAG_SESSION] })
      .addAwsPrincipal(accountRootArn(daemon.partition, daemon.account))
      .addCondition("ArnEquals", "aws:PrincipalARN", this.props.daemonRoleArn);
    return new PolicyDocument({ minimize: false }).addStatements(assume, tag);
  }

  /** The read statements of its scope. */
  public permissionDocument(): PolicyDocument {
    return readDocument(this.props, this.account.partition, this.account.accountId);
  }

  private validateReader(): string[] {
    const where = `drift account reader role "${this.label}" (account ${this.account.accountId})`;
    const errors = scopeProblems(where, this.props, this.account.accountId);
    if (this.permissionDocument().isEmpty) errors.push(`${where}: nothing to read: give clusterArns, state or roleArns`);
    const daemon = parseRoleArn(this.props.daemonRoleArn);
    if (daemon && daemon.account === this.account.accountId && !Token.isUnresolved(this.props.daemonRoleArn)) {
      errors.push(
        `${where}: daemonRoleArn "${this.props.daemonRoleArn}" is in this same account: the daemon role reads its own account directly, no reader role is needed`,
      );
    }
    return errors;
  }
}

/** IAM's read actions the drift check uses on a chain role (drift/live/iam.ts). */
export const IAM_ROLE_READ_ACTIONS = ["iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies"] as const;
/** And on a managed policy attached to one, to read its default version. */
export const IAM_POLICY_READ_ACTIONS = ["iam:GetPolicy", "iam:GetPolicyVersion"] as const;

/** The read statements for a scope; never a `*` resource. */
function readDocument(scope: DriftReadScope, partition: string, accountId: string): PolicyDocument {
  const doc = new PolicyDocument();
  const roles = [...new Set(scope.roleArns ?? [])];
  if (roles.length > 0) {
    doc.addStatements(
      new PolicyStatement({ sid: "ReadChainRoles", actions: [...IAM_ROLE_READ_ACTIONS], resources: roles }),
      new PolicyStatement({
        sid: "ReadAttachedPolicies",
        actions: [...IAM_POLICY_READ_ACTIONS],
        resources: [`arn:${partition}:iam::aws:policy/*`, `arn:${partition}:iam::${accountId}:policy/*`],
      }),
    );
  }
  const clusters = [...new Set(scope.clusterArns ?? [])];
  if (clusters.length > 0) {
    doc.addStatements(
      new PolicyStatement({ sid: "ListPodIdentityAssociations", actions: ["eks:ListPodIdentityAssociations"], resources: clusters }),
      new PolicyStatement({
        sid: "DescribePodIdentityAssociations",
        actions: ["eks:DescribePodIdentityAssociation"],
        resources: clusters.map(associationPattern),
      }),
    );
  }
  const st = scope.state;
  if (st) {
    const prefix = st.workspaceKeyPrefix ?? "env:";
    const workspaces = st.workspaces === "*" ? ["*"] : [...(st.workspaces ?? [])];
    const keys = [...((st.defaultWorkspace ?? true) ? st.keys : []), ...workspaces.flatMap((w) => st.keys.map((k) => `${prefix}/${w}/${k}`))];
    if (keys.length > 0) {
      doc.addStatements(
        new PolicyStatement({ sid: "ReadTerraformState", actions: ["s3:GetObject"], resources: keys.map((k) => `arn:${partition}:s3:::${st.bucket}/${k}`) }),
      );
    }
    if (workspaces.length > 0) {
      doc.addStatements(
        new PolicyStatement({ sid: "ListStateWorkspaces", actions: ["s3:ListBucket"], resources: [`arn:${partition}:s3:::${st.bucket}`] }).addCondition(
          "StringLike",
          "s3:prefix",
          workspaces.flatMap((w) => st.keys.map((k) => `${prefix}/${w}/${k}`)),
        ),
      );
    }
    if (st.kmsKeyArns && st.kmsKeyArns.length > 0) {
      doc.addStatements(new PolicyStatement({ sid: "DecryptTerraformState", actions: ["kms:Decrypt"], resources: [...st.kmsKeyArns] }));
    }
  }
  return doc;
}

/** `arn:P:eks:R:A:cluster/NAME` → `arn:P:eks:R:A:podidentityassociation/NAME/*`. */
function associationPattern(clusterArn: string): string {
  const p = parseArn(clusterArn)!;
  return `arn:${p.partition}:eks:${p.region}:${p.account}:podidentityassociation/${p.resource.slice("cluster/".length)}/*`;
}

const CLUSTER_ARN = /^arn:(aws|aws-cn|aws-us-gov):eks:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:cluster\/[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

/** What can never be right: thrown at once, with the value. */
function assertScope(where: string, scope: DriftReadScope): void {
  for (const r of scope.roleArns ?? []) assertRoleArn(`${where}: roleArns`, r);
  for (const a of scope.clusterArns ?? []) {
    if (!Token.isUnresolved(a) && !CLUSTER_ARN.test(a)) {
      throw new Error(`${where}: clusterArns: "${a}" is not an EKS cluster ARN (arn:aws:eks:REGION:ACCOUNT:cluster/NAME)`);
    }
  }
  const st = scope.state;
  if (st) {
    const bucket = bucketNameRule.check(st.bucket);
    if (bucket) throw new Error(`${where}: state.bucket: ${bucket}`);
    if (st.keys.length === 0) throw new Error(`${where}: state.keys: give at least one state object key`);
    for (const k of st.keys) {
      if (k.length === 0 || k.startsWith("/") || k.includes("*")) {
        throw new Error(`${where}: state.keys: "${k}" is not an object key (no leading '/', no wildcards: name each state object)`);
      }
    }
    for (const w of st.workspaces === "*" ? [] : (st.workspaces ?? [])) {
      if (w.length === 0 || w.includes("/") || w.includes("*")) throw new Error(`${where}: state.workspaces: "${w}" is not a workspace name`);
    }
  }
}

function assertRoleArn(where: string, arn: string): void {
  const p = roleArnProblem(arn);
  if (p) throw new Error(`${where}: ${p}`);
}

/** What depends on the role's account: collected at synth. */
function scopeProblems(where: string, scope: DriftReadScope, accountId: string): string[] {
  const errors: string[] = [];
  for (const a of scope.clusterArns ?? []) {
    const p = parseArn(a);
    if (p && !Token.isUnresolved(a) && !Token.isUnresolved(accountId) && p.account !== accountId) {
      errors.push(
        `${where}: clusterArns: "${a}" is in account ${p.account}; EKS is read with this role's own credentials, so list only clusters of account ${accountId} and read the others through a reader role in their account`,
      );
    }
  }
  for (const r of scope.roleArns ?? []) {
    const p = parseRoleArn(r);
    if (p && !Token.isUnresolved(r) && !Token.isUnresolved(accountId) && p.account !== accountId) {
      errors.push(
        `${where}: roleArns: "${r}" is in account ${p.account}; IAM reads the caller's own account, so list only roles of account ${accountId} and read the others through a reader role in their account`,
      );
    }
  }
  const st = scope.state;
  if (st && (st.defaultWorkspace ?? true) === false && (st.workspaces === undefined || (st.workspaces !== "*" && st.workspaces.length === 0))) {
    errors.push(`${where}: state: defaultWorkspace is false and no workspaces are given: nothing would be readable`);
  }
  return errors;
}
