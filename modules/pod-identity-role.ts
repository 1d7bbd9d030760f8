// The Pod Identity role, in the cluster's account: trusted by pods.eks.amazonaws.com, allowed to chain
// (sts:AssumeRole + sts:TagSession) into exactly the target roles of the associations that use it.
// One role may serve many associations in its account (a hub) or one each.
import type { Construct } from "constructs";
import { ValidationError } from "./errors";
import { PolicyDocument } from "./policy/document";
import { chainPermissionStatement } from "./policy/permission";
import { podIdentityTrustStatements } from "./policy/trust";
import { RoleBase, type RoleBaseProps, type RoleOptions } from "./role-base";
import { CHAIN_POLICY_NAME, restrictToServiceAccountsProblem } from "./validation/cross-field";

export { CHAIN_POLICY_NAME };

/** Options of a Pod Identity role. */
export interface PodIdentityRoleOptions extends RoleOptions {
  /** Narrow the trust with `aws:SourceAccount` = the role's (the cluster's) account. @default false */
  readonly restrictSourceAccount?: boolean;
  /**
   * Narrow the trust to the (namespace, service account) pairs of the associations using the role, with the
   * `aws:RequestTag/kubernetes-*` session tags EKS sends. Every association using the role must then keep
   * session tags on. @default false
   */
  readonly restrictToServiceAccounts?: boolean;
}

/** Props of a Pod Identity role: its options, its account and label. */
export interface PodIdentityRoleProps extends PodIdentityRoleOptions, RoleBaseProps {}

/** What an association tells the Pod Identity role it uses. */
export interface PodIdentityRoleUse {
  /** The association's label, for messages. */
  readonly label: string;
  /** The cluster's region (add-on sets act there). @default - the role's account region */
  readonly region?: string;
  /** The association's Kubernetes namespace. */
  readonly namespace: string;
  /** The association's Kubernetes service account. */
  readonly serviceAccount: string;
  /** Whether the association keeps EKS's session tags. */
  readonly sessionTags: boolean;
  /** The target role ARN it chains to. @default - no target role */
  readonly targetRoleArn?: string;
}

/**
 * The Pod Identity role, in the cluster's account: trusted by `pods.eks.amazonaws.com`, allowed to chain
 * (`sts:AssumeRole` + `sts:TagSession`) into exactly the target roles of the associations that use it.
 */
export class PodIdentityRole extends RoleBase {
  private readonly uses: PodIdentityRoleUse[] = [];
  private readonly podOptions: PodIdentityRoleOptions;
  private chainPolicyAdded = false;

  public constructor(scope: Construct, id: string, props: PodIdentityRoleProps) {
    if (props.existingRoleArn !== undefined && (props.restrictSourceAccount !== undefined || props.restrictToServiceAccounts !== undefined)) {
      throw new ValidationError(
        `Pod Identity role "${props.label ?? id}": existingRoleArn names a role owned elsewhere, so its trust options (restrictSourceAccount, restrictToServiceAccounts) cannot be set here`,
        scope,
        id,
      );
    }
    super(scope, id, props, "Pod Identity role");
    this.podOptions = props;
    if (this.isExisting) {
      this.addJsonOutput("required_trust_policy", `Trust policy the owners of ${this.arn} must apply so that EKS Pod Identity can assume it`, () =>
        this.trustJson(),
      );
    }
    this.node.addValidation({ validate: () => this.validateUses() });
  }

  /** Registers an association using this role; called by PodIdentityChain. */
  public addUse(use: PodIdentityRoleUse): void {
    this.uses.push(use);
    this.documentsChanged();
    if (use.targetRoleArn === undefined || this.chainPolicyAdded) return;
    this.chainPolicyAdded = true;
    const json = (): string => this.renderOnce("permission", () => this.permissionDocument());
    if (this.isExisting) {
      this.addJsonOutput("required_permission_policy", `Inline policy the owners of ${this.arn} must attach so that it can chain into its target roles`, json);
    } else {
      this.addInlinePolicy(CHAIN_POLICY_NAME, json);
    }
  }

  /** The associations registered so far. */
  public get associations(): readonly PodIdentityRoleUse[] {
    return this.uses;
  }

  public trustDocument(): PolicyDocument {
    const o = this.podOptions;
    return new PolicyDocument().addStatements(
      ...podIdentityTrustStatements({
        sourceAccount: o.restrictSourceAccount ? this.account.accountId : undefined,
        serviceAccounts: o.restrictToServiceAccounts ? this.uses.map((u) => ({ namespace: u.namespace, serviceAccount: u.serviceAccount })) : undefined,
      }),
    );
  }

  /** sts:AssumeRole + sts:TagSession on exactly the target role ARNs of the associations. */
  public permissionDocument(): PolicyDocument {
    const targets = [...new Set(this.uses.flatMap((u) => (u.targetRoleArn !== undefined ? [u.targetRoleArn] : [])))];
    return new PolicyDocument().addStatements(chainPermissionStatement(targets));
  }

  protected override servedRegions(): string[] {
    return this.uses.flatMap((u) => (u.region !== undefined ? [u.region] : []));
  }

  private validateUses(): string[] {
    if (!this.podOptions.restrictToServiceAccounts) return [];
    return this.uses.flatMap((u) => {
      const problem = restrictToServiceAccountsProblem(this.label, u.sessionTags);
      return problem ? [`association "${u.label}": sessionTags: ${problem}`] : [];
    });
  }
}
