// The target role, in any account: trusted by the Pod Identity role of every association that chains into
// it, in the form each association's session-tag setting needs (domain brief, section 1). Several
// associations (clusters, namespaces, service accounts) merge into one trust policy by the rule in
// ./policy/private/merge.ts.
import type { Construct } from "constructs";
import { PolicyDocument } from "./policy/document";
import { targetTrustStatements, type TargetTrustGrant } from "./policy/trust";
import { RoleBase, type RoleBaseProps, type RoleOptions } from "./role-base";
import { UNUSED_TARGET_ROLE_PROBLEM } from "./validation/cross-field";

/** Options of a target role: those of every role (its trust comes from the associations that use it). */
export type TargetRoleOptions = RoleOptions;

/** Props of a target role: its options, its account and label. */
export interface TargetRoleProps extends TargetRoleOptions, RoleBaseProps {}

/** One association's trust, with its label for messages. */
export interface TargetRoleGrant extends TargetTrustGrant {
  /** The association's label, for messages. */
  readonly label: string;
}

/**
 * The target role, in any account: its trust policy is merged over every association that chains into it,
 * each in the form its session-tag setting needs.
 */
export class TargetRole extends RoleBase {
  private readonly grants: TargetRoleGrant[] = [];

  public constructor(scope: Construct, id: string, props: TargetRoleProps) {
    super(scope, id, props, "target role");
    if (this.isExisting) {
      this.addJsonOutput("required_trust_policy", `Trust policy the owners of ${this.arn} must apply so that the Pod Identity roles can chain into it`, () =>
        this.trustJson(),
      );
    }
    this.node.addValidation({ validate: () => this.validateGrants() });
  }

  /** Trusts one more association; called by PodIdentityChain. */
  public addGrant(grant: TargetRoleGrant): void {
    this.grants.push(grant);
    this.documentsChanged();
  }

  /** The associations registered so far. */
  public get associations(): readonly TargetRoleGrant[] {
    return this.grants;
  }

  public trustDocument(): PolicyDocument {
    return new PolicyDocument().addStatements(...this.grants.flatMap((g) => targetTrustStatements(g)));
  }

  protected override servedRegions(): string[] {
    return this.grants.map((g) => g.region);
  }

  private validateGrants(): string[] {
    return this.grants.length > 0 ? [] : [`target role "${this.label}" (account ${this.account.accountId}): trust policy: ${UNUSED_TARGET_ROLE_PROBLEM}`];
  }
}
