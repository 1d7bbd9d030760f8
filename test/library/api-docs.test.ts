import { describe, expect, it } from "vitest";
import { apiDocProblems } from "./api-docs";

describe("the library's public surface (modules/index.ts)", () => {
  it("documents every export and member, and the default of every optional property", () => {
    expect(apiDocProblems()).toEqual([]);
  });
});
