// The errors the constructs and policy objects throw, one class per kind (as aws-cdk-lib's ValidationError).
// Each names the construct it is about: `constructPath`, also at the start of the message as cdktf prints
// synth-time problems (`[stack/chain] …`). Problems that depend on the rest of the app are not thrown: they
// are collected with `node.addValidation` and reported together at synth.
import type { IConstruct } from "constructs";

/** Something the constructs refuse, with the construct it is about. */
export abstract class ConstructError extends Error {
  /** The path of the construct (ids from the app, joined by `/`). @default - none: not about one construct */
  public readonly constructPath?: string;

  /**
   * @param scope the construct, or with `id` the scope of one not yet created (a constructor that throws
   * before `super`).
   */
  protected constructor(message: string, scope?: IConstruct, id?: string) {
    const constructPath = scope === undefined ? undefined : [scope.node.path, id].filter((p) => p !== undefined && p !== "").join("/");
    super(constructPath ? `[${constructPath}] ${message}` : message);
    this.constructPath = constructPath;
  }
}

/** Props or arguments that can never be right (the value and the fix are in the message). */
export class ValidationError extends ConstructError {
  public constructor(message: string, scope?: IConstruct, id?: string) {
    super(message, scope, id);
    this.name = "ValidationError";
  }
}

/** An object used in a way it does not support, such as changing a policy statement after it was rendered. */
export class UsageError extends ConstructError {
  public constructor(message: string, scope?: IConstruct, id?: string) {
    super(message, scope, id);
    this.name = "UsageError";
  }
}
