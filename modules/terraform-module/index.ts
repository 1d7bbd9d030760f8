// The Terraform JSON module for teams who write HCL: one cross-account association (Pod Identity role →
// permission to chain → target role → aws_eks_pod_identity_association), built from the same constructs as
// the cdktf app (PodIdentityRole, TargetRole, PodIdentityChain) with Terraform variables as their inputs, then
// turned into a reusable module: no provider blocks, no backend, no cdktf metadata, the two AWS provider
// configurations passed in by the caller as `aws.cluster` and `aws.target`.
//
// What is decided when the module is generated and what by the caller:
// - Account ids, partition and region are not known here: they come from `aws_caller_identity`,
//   `aws_partition` and `aws_region` data sources on the aliased providers.
// - Creating a role or naming an existing one (`*_role_arn`) is decided by the caller: the role resources get
//   `count`, and the role's partition, account, path and name are parsed from the given ARN, so the ARN the
//   constructs concatenate is exactly that ARN.
// - Session tags on or off is decided by the caller: the constructs render the target trust policy in both
//   forms (a second TargetRole, never synthesized, holds the session-tags-off grant) and a local picks one.
// - The synth-time rules of ../validation/rules.ts become variable validation blocks (the rule tables in
//   ./rules.ts, tested against ../validation/rules.ts) and lifecycle preconditions for rules that involve several inputs.
export * from "./constants";
export * from "./rules";
export * from "./build";
export * from "./checks";
export * from "./docs";
