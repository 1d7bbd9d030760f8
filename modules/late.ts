// Values Terraform JSON gets at synth time, without cdktf's per-token cost. cdktf's `Lazy` and every
// resource reference (including each `depends_on` entry) capture a full stack trace when created, for
// debugging token errors; with thousands of associations that was most of synth time (a CPU profile at
// 5,000 associations: 7.4 s of 17 s in stack capture). Role names and ARNs are known strings here, so
// nothing needs a reference: the helpers here keep late rendering and ordering without the capture.
import { Token, TerraformStack, type IResolvable, type TerraformResource } from "./terraform-cdk";

/** Each late value by the token string that stands for it (cdktf's token map keeps them as long). */
const byToken = new Map<string, LateValue>();

/** A string rendered when the stack is synthesized (e.g. a trust policy that later associations extend). */
export function lateString(produce: () => string): string {
  const value = new LateValue(produce);
  const token = Token.asString(value);
  byToken.set(token, value);
  return token;
}

/**
 * The late value `s` is the token of, if it is exactly one (not a string that contains one among other
 * text): ./plain-resolve.ts resolves it without parsing the string, as cdktf's resolver would.
 */
export function lateValueOf(s: string): LateValue | undefined {
  return byToken.get(s);
}

/** A value produced at synthesis: put in a string as a token (lateString), or as it is where cdktf takes an object. */
export class LateValue<T = string> implements IResolvable {
  /** No stack is captured: the value has no inputs that could be wrong at resolution time. */
  public readonly creationStack: string[] = [];
  public constructor(private readonly produce: () => T) {}
  public resolve(): T {
    return this.produce();
  }
  public toString(): string {
    return Token.asString(this);
  }
}

/**
 * Makes `resource` wait for `dependencies` with literal `depends_on` addresses (`aws_iam_role.x`). Only
 * dependencies in the same stack can be named that way; the others are returned, for the caller to turn
 * into a stack dependency.
 */
export function dependOn(resource: TerraformResource, dependencies: readonly TerraformResource[]): TerraformResource[] {
  const stack = TerraformStack.of(resource);
  const local = dependencies.filter((d) => TerraformStack.of(d) === stack);
  if (local.length > 0) {
    // Rendered late: a logical id may still be overridden after this call. One resolvable for the whole list,
    // not a token string per entry: nothing to register in cdktf's token map or to parse back.
    resource.addOverride("depends_on", new LateValue(() => local.map((d) => `${d.terraformResourceType}.${d.friendlyUniqueId}`)));
  }
  return dependencies.filter((d) => TerraformStack.of(d) !== stack);
}

/**
 * Runs `build` with the creation stacks of cdktf's tokens left empty. The provider bindings create three
 * tokens per association themselves (`inline_policy` lists, the association's tags), and cdktf captures a
 * full stack trace for each (`Error.captureStackTrace` on a plain object, every frame, formatted), only for
 * the message of a token that fails to resolve: at 1,000 associations ~0.1 s and ~6 MB of strings kept
 * until exit. Errors are untouched: they get their stacks when made, and `Error.captureStackTrace` on an
 * error still records one.
 */
export function withoutTokenCreationStacks<T>(build: () => T): T {
  const capture = Error.captureStackTrace;
  Error.captureStackTrace = (target: object, constructorOpt?: (...args: never[]) => unknown) => {
    if (target instanceof Error) capture(target, constructorOpt);
  };
  try {
    return build();
  } finally {
    Error.captureStackTrace = capture;
  }
}
