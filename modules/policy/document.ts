// A policy document as an object: statements are added, then rendered late (deduplicated, merged by the rule
// in ./private/merge.ts, sorted, frozen). The same document always renders to the same JSON.
import type { PolicyDocumentJson } from "./json";
import { mergeStatements } from "./private/merge";
import { PolicyStatement, renderStatement } from "./statement";

/** Options of a policy document. */
export interface PolicyDocumentProps {
  /** Merge statements that differ in one dimension only (see ./private/merge.ts). @default true */
  readonly minimize?: boolean;
}

/** An IAM policy document as an object: statements are added, then rendered late, merged and sorted. */
export class PolicyDocument {
  private readonly statements: PolicyStatement[] = [];
  private readonly minimize: boolean;

  public constructor(props: PolicyDocumentProps = {}) {
    this.minimize = props.minimize ?? true;
  }

  /** Adds statements (frozen when the document is rendered). */
  public addStatements(...statements: PolicyStatement[]): this {
    this.statements.push(...statements);
    return this;
  }

  /** True when no statement was added. */
  public get isEmpty(): boolean {
    return this.statements.length === 0;
  }

  /** Renders the document; freezes every statement added so far. */
  public toDocumentJson(): PolicyDocumentJson {
    const parts = this.statements.map((s) => s.freeze().toParts());
    const finalParts = this.minimize ? mergeStatements(parts) : parts;
    return { Version: "2012-10-17", Statement: finalParts.map(renderStatement) };
  }

  /** The minified JSON text, as written into Terraform. */
  public toJsonString(): string {
    return minifiedJson(this.toDocumentJson());
  }
}

/** The minified JSON of a policy document (IAM does not count whitespace towards size limits). */
export function minifiedJson(doc: PolicyDocumentJson): string {
  return JSON.stringify(doc);
}
