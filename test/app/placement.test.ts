// Stack cycles beyond two stacks, and dependency graphs that are not cycles.
import { describe, expect, it } from "vitest";
import { findStackCycle, type StackDependency } from "../../modules/config/placement";

const dep = (from: string, to: string, association = 0): StackDependency => ({ from, to, association, kind: "targetRoles", role: `${from}-${to}` });

describe("findStackCycle", () => {
  it("finds a cycle through three stacks, in order, and only its edges", () => {
    const deps = [dep("x", "a"), dep("a", "b"), dep("b", "c"), dep("c", "a")];
    expect(findStackCycle(deps)?.map((d) => `${d.from}>${d.to}`)).toEqual(["a>b", "b>c", "c>a"]);
  });

  it("a diamond, a chain and no dependencies are not cycles", () => {
    expect(findStackCycle([dep("a", "b"), dep("a", "c"), dep("b", "d"), dep("c", "d")])).toBeUndefined();
    expect(findStackCycle([dep("a", "b"), dep("b", "c")])).toBeUndefined();
    expect(findStackCycle([])).toBeUndefined();
  });
});
