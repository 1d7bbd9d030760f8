// What the Pod Identity role and the target role share: an IAM role with a literal name and path (so its ARN
// is a known string), a trust policy rendered late from the associations registered on it, inline policies
// (`aws_iam_role_policy`, counted against IAM's 10,240-character total), managed policy attachments, and the
// bring-your-own mode, in which nothing is created and Terraform outputs carry the policy JSON another
// team must apply.
import { TerraformOutput, TerraformStack, Token, type TerraformResource } from "./terraform-cdk";
import { Construct } from "constructs";
import { IamRole, IamRolePolicy, IamRolePolicyAttachment } from "./aws";
import { dependOn, lateString } from "./late";
import { addonInlinePolicyName, addonPolicyDocument, type AddonPolicy } from "./policy/addons";
import { parseRoleArn, roleArn } from "./policy/arn";
import { minifiedJson, type PolicyDocument } from "./policy/document";
import type { PolicyDocumentJson } from "./policy/json";
import { INLINE_POLICIES_LIMIT, MANAGED_POLICIES_LIMIT, policySize, ROLE_NAME_MAX, TRUST_POLICY_DEFAULT_LIMIT } from "./policy/size";
import type { AwsAccount } from "./providers";
import { RefactoringBlocks } from "./refactoring/blocks";
import {
  addonArns,
  arnAccountProblem,
  existingRoleFieldsProblem,
  policyResourceArns,
  reservedInlinePolicyNameProblem,
  ROLE_OWNED_FIELDS,
} from "./validation/cross-field";
import {
  maxSessionDurationProblem,
  policyArnProblem,
  trustPolicyLimitProblem,
  roleArnProblem,
  roleNamePrefixProblem,
  roleNameProblem,
  rolePathProblem,
} from "./validation/rules";
import { UsageError, ValidationError } from "./errors";

/** Options every role built here accepts. */
export interface RoleOptions {
  /** The role name (≤ 64 characters). @default - derived by the caller (see the construct) */
  readonly name?: string;
  /**
   * A name prefix instead of a name (Terraform appends 26 characters). The ARN is then only known after
   * apply: policies reference it and size checks are estimates. @default - use `name`
   */
  readonly namePrefix?: string;
  /** The name used when neither `name` nor `namePrefix` is set (validated like a name). @default - the label, or for roles a chain creates CLUSTER-NAMESPACE-SERVICEACCOUNT */
  readonly defaultName?: string;
  /** @default "/" */
  readonly path?: string;
  /** ARN of a managed policy used as permissions boundary. @default - no boundary */
  readonly permissionsBoundary?: string;
  /** Seconds, 3600 to 43200. @default - IAM's default (3600) */
  readonly maxSessionDuration?: number;
  /** @default - no tags */
  readonly tags?: Readonly<Record<string, string>>;
  /** Managed policies to attach (at most 10). @default - none */
  readonly managedPolicyArns?: readonly string[];
  /** Inline policy documents by policy name. @default - none */
  readonly inlinePolicies?: Readonly<Record<string, PolicyDocumentJson>>;
  /** Add-on permission sets, rendered as inline policies named `addon-<name>`. @default - none */
  readonly addonPolicies?: readonly AddonPolicy[];
  /**
   * Bring your own role: the ARN of an existing role owned by someone else. Nothing is created for it;
   * Terraform outputs carry the exact policy JSON its owners must apply. @default - the role is created
   */
  readonly existingRoleArn?: string;
  /**
   * Construct paths below the stack (ids joined by `/`) at which this role was before, oldest first: its
   * resources get Terraform moved blocks from there instead of being replaced. @default - none
   */
  readonly movedFrom?: readonly string[];
}

/** What a role construct needs besides its options. */
export interface RoleBaseProps extends RoleOptions {
  /** The account the role lives in, with its provider. */
  readonly account: AwsAccount;
  /** Names the role in messages and outputs. @default - the construct id */
  readonly label?: string;
  /**
   * The trust policy size IAM allows this account (2,048 by default; up to 4,096 after AWS raised the quota).
   * @default 2048
   */
  readonly trustPolicyMaxSize?: number;
}

/** An inline policy of a role. */
export interface InlinePolicy {
  readonly name: string;
  /** Its minified JSON, as written (rendered when called, for documents rendered late): its size is checked. */
  readonly json: () => string;
}

/** What every role construct shares: a literal name and path, inline and managed policies, bring-your-own. */
export abstract class RoleBase extends Construct {
  /** The role ARN: a literal string unless `namePrefix` is used. */
  public readonly arn: string;
  /** The role name, or undefined with `namePrefix`. */
  public readonly roleName?: string;
  /** The IAM role resource, or undefined for a bring-your-own role. */
  public readonly role?: IamRole;
  /** The account the role lives in. */
  public readonly account: AwsAccount;
  /** Names the role in messages and outputs. */
  public readonly label: string;
  /** True when the role is someone else's (`existingRoleArn`). */
  public readonly isExisting: boolean;
  /** True when the ARN is not known at synth time (name prefix): sizes are then estimates. */
  public readonly arnIsEstimate: boolean;
  protected readonly options: RoleOptions;
  protected readonly trustPolicyMaxSize: number;
  private readonly inlinePolicies: InlinePolicy[] = [];
  private readonly policyResources: IamRolePolicy[] = [];
  private readonly attachments: IamRolePolicyAttachment[] = [];
  private readonly rendered = new Map<string, string>();

  protected constructor(scope: Construct, id: string, props: RoleBaseProps, kind: string) {
    super(scope, id);
    this.label = props.label ?? id;
    this.account = props.account;
    this.options = props;
    this.trustPolicyMaxSize = props.trustPolicyMaxSize ?? TRUST_POLICY_DEFAULT_LIMIT;
    const what = `${kind} "${this.label}"`;
    if (props.name !== undefined && props.namePrefix !== undefined) {
      throw new ValidationError(`${what}: set either name ("${props.name}") or namePrefix ("${props.namePrefix}"), not both`, this);
    }
    this.isExisting = props.existingRoleArn !== undefined;
    if (this.isExisting) {
      const extra = existingRoleFieldsProblem(
        ROLE_OWNED_FIELDS.filter((f) => props[f] !== undefined),
        "existingRoleArn",
      );
      if (extra) throw new ValidationError(`${what}: existingRoleArn ("${props.existingRoleArn}") ${extra}`, this);
      this.arn = props.existingRoleArn!;
      this.roleName = parseRoleArn(this.arn)?.name;
      this.arnIsEstimate = false;
      this.node.addValidation({ validate: () => this.validateRole(kind) });
      return;
    }
    const path = props.path ?? "/";
    this.roleName = props.namePrefix !== undefined ? undefined : (props.name ?? props.defaultName ?? this.label);
    this.role = new IamRole(this, "role", {
      provider: props.account.provider,
      ...(this.roleName !== undefined ? { name: this.roleName } : { namePrefix: props.namePrefix }),
      path,
      assumeRolePolicy: lateString(() => this.trustJson()),
      ...(props.permissionsBoundary !== undefined ? { permissionsBoundary: props.permissionsBoundary } : {}),
      ...(props.maxSessionDuration !== undefined ? { maxSessionDuration: props.maxSessionDuration } : {}),
      ...(props.tags && Object.keys(props.tags).length > 0 ? { tags: { ...props.tags } } : {}),
    });
    this.arnIsEstimate = this.roleName === undefined;
    if (props.movedFrom !== undefined) RefactoringBlocks.of(TerraformStack.of(this)).declareMovedFrom(this, props.movedFrom);
    this.arn = this.roleName !== undefined ? roleArn(props.account.partition, props.account.accountId, path, this.roleName) : this.role.arn;
    const rendered = { addonNames: (props.addonPolicies ?? []).map((a) => a.name), podIdentityRole: kind === "Pod Identity role" };
    for (const [name, doc] of Object.entries(props.inlinePolicies ?? {})) {
      const reserved = reservedInlinePolicyNameProblem(name, rendered);
      if (reserved) throw new ValidationError(`${what}: inlinePolicies.${name}: ${reserved}`, this);
      this.addInlinePolicy(name, minifiedJson(doc));
    }
    for (const addon of props.addonPolicies ?? []) {
      // Rendered late: the add-on acts in the regions of the clusters the role serves, known once they are added.
      const doc = (): PolicyDocumentJson =>
        addonPolicyDocument(addon, {
          partition: props.account.partition,
          accountId: props.account.accountId,
          region: props.account.region,
          regions: this.addonRegions(),
        });
      this.addInlinePolicy(addonInlinePolicyName(addon.name), () => minifiedJson(doc()));
    }
    (props.managedPolicyArns ?? []).forEach((policyArn, i) => {
      const attachment = new IamRolePolicyAttachment(this, `managed_${i}`, {
        provider: props.account.provider,
        role: this.roleRef(),
        policyArn,
      });
      if (this.roleName !== undefined) dependOn(attachment, [this.role!]);
      this.attachments.push(attachment);
    });
    this.node.addValidation({ validate: () => this.validateRole(kind) });
  }

  /** The trust policy this role must have, from everything registered on it so far. */
  public abstract trustDocument(): PolicyDocument;

  /** The regions of the clusters whose associations use this role, as registered so far. */
  protected servedRegions(): readonly string[] {
    return [];
  }

  /** Where the role's add-on sets act: the regions of the clusters it serves, else its account's region. */
  private addonRegions(): string[] {
    const regions = [...new Set(this.servedRegions())].sort();
    return regions.length > 0 ? regions : [this.account.region];
  }

  /** The trust policy's minified JSON, rendered once until the role changes. */
  public trustJson(): string {
    return this.renderOnce("trust", () => this.trustDocument());
  }

  /**
   * Renders one of the role's documents once until `documentsChanged()`: validation and cdktf's two resolve
   * passes would otherwise merge the same statements three times.
   */
  protected renderOnce(key: string, document: () => PolicyDocument): string {
    let json = this.rendered.get(key);
    if (json === undefined) {
      json = document().toJsonString();
      this.rendered.set(key, json);
    }
    return json;
  }

  /** Call whenever what the documents are built from changes (an association registered on the role). */
  protected documentsChanged(): void {
    if (this.rendered.size > 0) this.rendered.clear();
  }

  /** What an association using this role must wait for (the role and its policies). */
  public dependables(): TerraformResource[] {
    return this.role ? [this.role, ...this.policyResources, ...this.attachments] : [];
  }

  /**
   * Adds an inline policy (`aws_iam_role_policy`) to the created role: `json` is its minified JSON, or renders
   * it when the stack is synthesized (and when validation sizes it).
   */
  protected addInlinePolicy(name: string, json: string | (() => string)): void {
    if (!this.role) throw new UsageError(`role "${this.label}" is not created here (existingRoleArn): it cannot get inline policies`, this);
    const id = `policy_${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    const same = this.policyResources.find((p) => p.node.id === id);
    if (same) throw new ValidationError(`inline policy "${name}" would have the construct id of inline policy "${same.nameInput}" (${id}); rename one`, this);
    const resource = new IamRolePolicy(this, id, {
      provider: this.account.provider,
      name,
      role: this.roleRef(),
      policy: typeof json === "string" ? json : lateString(json),
    });
    // With a literal role name nothing references the role: order the policy after it explicitly.
    if (this.roleName !== undefined) dependOn(resource, [this.role]);
    this.inlinePolicies.push({ name, json: typeof json === "string" ? () => json : json });
    this.policyResources.push(resource);
  }

  /** A Terraform output named `<label>_<suffix>` carrying `json` (bring-your-own roles). */
  protected addJsonOutput(suffix: string, description: string, json: () => string): void {
    const output = new TerraformOutput(this, suffix, {
      value: lateString(json),
      description,
    });
    output.overrideLogicalId(`${this.label.replace(/[^A-Za-z0-9_]/g, "_")}_${suffix}`);
  }

  /** The trust policy against the size limit: exact with literal ARNs, an estimate otherwise. */
  protected validateTrustSize(where: string): string[] {
    const document = this.trustDocument();
    if (document.isEmpty) return [];
    const json = this.renderOnce("trust", () => document);
    if (containsToken(json)) {
      // A referenced ARN (name prefix) renders as a token; count it as a role ARN of maximal name length.
      const estimate = json.replace(TOKEN_MARKER, "x".repeat(80)).length;
      return estimate > this.trustPolicyMaxSize
        ? [
            `${where}: trust policy: about ${estimate} characters (an estimate: a role ARN is only known after apply), more than the limit of ${this.trustPolicyMaxSize}; split the associations across more roles, or raise trustPolicyMaxSize after AWS raised your quota`,
          ]
        : [];
    }
    const size = json.length;
    return size > this.trustPolicyMaxSize
      ? [
          `${where}: trust policy: ${size} characters (minified), more than the limit of ${this.trustPolicyMaxSize}; split the associations across more target roles, or raise trustPolicyMaxSize (up to 4096) after AWS raised your account's quota`,
        ]
      : [];
  }

  private roleRef(): string {
    return this.roleName ?? this.role!.name;
  }

  /** Problems with the role's own settings and policies. */
  protected validateRole(kind: string): string[] {
    const o = this.options;
    const errors: string[] = [];
    const where = `${kind} "${this.label}" (account ${this.account.accountId})`;
    const add = (field: string, problem: string | undefined): void => {
      if (problem) errors.push(`${where}: ${field}: ${problem}`);
    };
    add("trustPolicyMaxSize", trustPolicyLimitProblem(this.trustPolicyMaxSize));
    errors.push(...this.validateTrustSize(where));
    if (this.isExisting) {
      add("existingRoleArn", roleArnProblem(this.arn) ?? arnAccountProblem(this.arn, "role", this.account));
      return errors;
    }
    if (this.roleName !== undefined) {
      const problem = roleNameProblem(this.roleName);
      add("name", problem && o.name === undefined ? `${problem} (this name was derived; set name explicitly, at most ${ROLE_NAME_MAX} characters)` : problem);
    }
    if (o.namePrefix !== undefined) add("namePrefix", roleNamePrefixProblem(o.namePrefix));
    if (o.path !== undefined) add("path", rolePathProblem(o.path));
    if (o.permissionsBoundary !== undefined) {
      add("permissionsBoundary", policyArnProblem(o.permissionsBoundary) ?? arnAccountProblem(o.permissionsBoundary, "policy", this.account));
    }
    if (o.maxSessionDuration !== undefined) add("maxSessionDuration", maxSessionDurationProblem(o.maxSessionDuration));
    const managed = o.managedPolicyArns ?? [];
    managed.forEach((a, i) => add(`managedPolicyArns[${i}]`, policyArnProblem(a) ?? arnAccountProblem(a, "policy", this.account)));
    for (const [name, doc] of Object.entries(o.inlinePolicies ?? {})) {
      for (const f of policyResourceArns(doc)) add(`inlinePolicies.${name}`, arnAccountProblem(f.arn, "resource", this.account));
    }
    (o.addonPolicies ?? []).forEach((addon, i) => {
      for (const f of addonArns(addon)) add(`addonPolicies[${i}] (${addon.name})`, arnAccountProblem(f.arn, "resource", this.account));
    });
    if (managed.length > MANAGED_POLICIES_LIMIT) {
      add(
        "managedPolicyArns",
        `${managed.length} managed policies are attached, more than IAM's default quota of ${MANAGED_POLICIES_LIMIT} per role; merge some into an inline policy or ask AWS to raise the quota`,
      );
    }
    const names = this.inlinePolicies.map((p) => p.name);
    const dup = names.filter((n, i) => names.indexOf(n) !== i);
    if (dup.length > 0)
      add("inlinePolicies", `policy name(s) ${[...new Set(dup)].map((n) => `"${n}"`).join(", ")} used more than once; give each inline policy its own name`);
    let total = 0;
    const sizes: string[] = [];
    for (const p of this.inlinePolicies) {
      const size = policySize(p.json());
      total += size;
      sizes.push(`${p.name}: ${size}`);
    }
    if (total > INLINE_POLICIES_LIMIT) {
      add(
        "inlinePolicies",
        `the inline policies total ${total} characters (minified; ${sizes.join(", ")}), more than IAM's ${INLINE_POLICIES_LIMIT} per role; move permissions into managed policies or split the role`,
      );
    }
    return errors;
  }
}

const TOKEN_MARKER = /\$\{TfToken\[[^\]]*\]\}/g;

function containsToken(s: string): boolean {
  return Token.isUnresolved(s);
}
