// The only module that imports the CDK for Terraform library. CDKTF (`cdktf` 0.21, archived) is the default;
// CDK Terrain (`cdktn`), its community continuation, keeps the API: choosing it is this file's two package
// names, the provider package in ./aws.ts and the dependencies (README, "Choosing CDK Terrain";
// `npm run test:cdktn` makes that switch in a copy and runs the tests there).
/** Which library this build uses: "cdktf" (CDKTF) or "cdktn" (CDK Terrain). */
export const TERRAFORM_CDK: "cdktf" | "cdktn" = "cdktf";

export {
  Annotations,
  App,
  Lazy,
  LocalBackend,
  S3Backend,
  TerraformElement,
  TerraformLocal,
  TerraformOutput,
  TerraformResource,
  TerraformStack,
  TerraformVariable,
  Testing,
  Token,
  Tokenization,
  type IResolvable,
  type S3BackendConfig,
  type TerraformProvider,
} from "cdktf";
// The hash cdktf appends to a construct path to make a Terraform address (see ./refactoring/paths.ts).
export { makeUniqueId } from "cdktf/lib/private/unique";
