// A policy statement as an object: built with add* methods, frozen before rendering, rendered late.
// Only the elements this project writes are modelled (Effect, Principal, Action, Resource, Condition).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
import type { ConditionBlockJson, PrincipalJson, StatementJson } from "./json";
import { UsageError } from "../errors";

/** The principal kinds a statement can name. */
export type PrincipalType = "AWS" | "Service" | "Federated";
const PRINCIPAL_TYPES: readonly PrincipalType[] = ["AWS", "Federated", "Service"];

/**
 * The canonical, sorted, plain-data form of a statement: what deduplication, merging and rendering work on.
 * Every list is sorted and free of duplicates.
 */
export interface StatementParts {
  readonly sid?: string;
  readonly effect: "Allow" | "Deny";
  readonly principals: Readonly<Partial<Record<PrincipalType, readonly string[]>>>;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** operator → condition key → values. */
  readonly conditions: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/** Options for a new statement. */
export interface PolicyStatementProps {
  /** Statement id. Statements with a Sid are never merged with others. @default - none */
  readonly sid?: string;
  /** @default "Allow" */
  readonly effect?: "Allow" | "Deny";
  /** @default - none */
  readonly actions?: readonly string[];
  /** @default - none (trust policies have no Resource) */
  readonly resources?: readonly string[];
}

/**
 * An IAM policy statement as an object: built with `add*` methods (values deduplicated), frozen when
 * rendered; a rendered statement cannot change (`UsageError`). Documents merge statements by the rule in
 * ./private/merge.ts.
 */
export class PolicyStatement {
  /** Builds a statement from its canonical parts (used by the merge rule). */
  public static fromParts(parts: StatementParts): PolicyStatement {
    const s = new PolicyStatement({ sid: parts.sid, effect: parts.effect, actions: parts.actions, resources: parts.resources });
    for (const type of PRINCIPAL_TYPES) s.addPrincipals(type, ...(parts.principals[type] ?? []));
    for (const [op, keys] of Object.entries(parts.conditions)) {
      for (const [key, values] of Object.entries(keys)) s.addCondition(op, key, values);
    }
    return s;
  }

  /** The statement id, if any (statements with one are never merged). */
  public readonly sid?: string;
  /** Whether the statement allows or denies. */
  public readonly effect: "Allow" | "Deny";
  private readonly actions = new Set<string>();
  private readonly resources = new Set<string>();
  private readonly principals = new Map<PrincipalType, Set<string>>();
  private readonly conditions = new Map<string, Map<string, Set<string>>>();
  private frozen = false;

  public constructor(props: PolicyStatementProps = {}) {
    this.sid = props.sid;
    this.effect = props.effect ?? "Allow";
    this.addActions(...(props.actions ?? []));
    this.addResources(...(props.resources ?? []));
  }

  /** Adds actions (`sts:AssumeRole`). */
  public addActions(...actions: string[]): this {
    this.assertNotFrozen();
    for (const a of actions) this.actions.add(a);
    return this;
  }

  /** Adds resources (ARNs or ARN patterns). */
  public addResources(...arns: string[]): this {
    this.assertNotFrozen();
    for (const r of arns) this.resources.add(r);
    return this;
  }

  /** Adds principals of one kind (`AWS` ARNs, `Service` names, `Federated` providers). */
  public addPrincipals(type: PrincipalType, ...ids: string[]): this {
    this.assertNotFrozen();
    if (ids.length === 0) return this;
    const set = this.principals.get(type) ?? new Set<string>();
    for (const id of ids) set.add(id);
    this.principals.set(type, set);
    return this;
  }

  /** Adds an `AWS` principal (an account root or role ARN). */
  public addAwsPrincipal(arn: string): this {
    return this.addPrincipals("AWS", arn);
  }

  /** Adds a `Service` principal (`pods.eks.amazonaws.com`). */
  public addServicePrincipal(service: string): this {
    return this.addPrincipals("Service", service);
  }

  /** Adds values to a condition (`operator` e.g. `StringEquals`, `key` e.g. `aws:SourceAccount`). */
  public addCondition(operator: string, key: string, values: string | readonly string[]): this {
    this.assertNotFrozen();
    const byKey = this.conditions.get(operator) ?? new Map<string, Set<string>>();
    const set = byKey.get(key) ?? new Set<string>();
    for (const v of typeof values === "string" ? [values] : values) set.add(v);
    byKey.set(key, set);
    this.conditions.set(operator, byKey);
    return this;
  }

  /** After this, every add* method throws. Rendering freezes. */
  public freeze(): this {
    this.frozen = true;
    return this;
  }

  /** True once the statement was rendered (or frozen): it can no longer change. */
  public get isFrozen(): boolean {
    return this.frozen;
  }

  /** The canonical form: sorted lists, no duplicates. */
  public toParts(): StatementParts {
    const principals: Partial<Record<PrincipalType, readonly string[]>> = {};
    for (const type of PRINCIPAL_TYPES) {
      const set = this.principals.get(type);
      if (set && set.size > 0) principals[type] = sorted(set);
    }
    const conditions: Record<string, Record<string, readonly string[]>> = {};
    for (const op of sorted(this.conditions.keys())) {
      const byKey = this.conditions.get(op)!;
      const keys: Record<string, readonly string[]> = {};
      for (const key of sorted(byKey.keys())) keys[key] = sorted(byKey.get(key)!);
      conditions[op] = keys;
    }
    return {
      ...(this.sid !== undefined ? { sid: this.sid } : {}),
      effect: this.effect,
      principals,
      actions: sorted(this.actions),
      resources: sorted(this.resources),
      conditions,
    };
  }

  /** Renders (and freezes) the statement as IAM policy JSON. */
  public toStatementJson(): StatementJson {
    this.freeze();
    return renderStatement(this.toParts());
  }

  private assertNotFrozen(): void {
    if (this.frozen) throw new UsageError("PolicyStatement is frozen: it has already been rendered; build a new statement instead");
  }
}

/**
 * Renders canonical parts as JSON. Key order is fixed (Sid, Effect, Principal, Action, Resource, Condition);
 * a list of one value is written as that value, longer lists as sorted arrays.
 */
export function renderStatement(parts: StatementParts): StatementJson {
  const out: StatementJson = { ...(parts.sid !== undefined ? { Sid: parts.sid } : {}), Effect: parts.effect };
  const principalTypes = PRINCIPAL_TYPES.filter((t) => (parts.principals[t]?.length ?? 0) > 0);
  if (principalTypes.length > 0) {
    const principal: Exclude<PrincipalJson, "*"> = {};
    for (const t of principalTypes) principal[t] = oneOrMany(parts.principals[t]!);
    out.Principal = principal;
  }
  if (parts.actions.length > 0) out.Action = oneOrMany(parts.actions);
  if (parts.resources.length > 0) out.Resource = oneOrMany(parts.resources);
  const ops = Object.keys(parts.conditions);
  if (ops.length > 0) {
    const condition: ConditionBlockJson = {};
    for (const op of ops) {
      condition[op] = {};
      for (const [key, values] of Object.entries(parts.conditions[op]!)) condition[op]![key] = oneOrMany(values);
    }
    out.Condition = condition;
  }
  return out;
}

function oneOrMany(values: readonly string[]): string | string[] {
  return values.length === 1 ? values[0]! : [...values];
}

function sorted(values: Iterable<string>): string[] {
  return [...values].sort(compareStrings);
}

/** Code-unit order, independent of locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
