// What the library's public surface lacks in documentation: every export of modules/index.ts and every member
// of its exported interfaces and classes needs a doc comment, and every optional property a `@default`
// (aws-cdk-lib's rule). Read with the TypeScript compiler from the sources, as the declarations ship.
import * as path from "node:path";
import ts from "typescript";

const INDEX = path.join(__dirname, "..", "..", "modules", "index.ts");

/** One line per missing doc comment or `@default`, naming the export and member. */
export function apiDocProblems(): string[] {
  const program = ts.createProgram([INDEX], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const index = checker.getSymbolAtLocation(program.getSourceFile(INDEX)!)!;
  const problems: string[] = [];
  const documented = (s: ts.Symbol): boolean => s.getDocumentationComment(checker).length > 0 || s.getJsDocTags(checker).length > 0;
  for (const exported of checker.getExportsOfModule(index)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const name = exported.getName();
    if (!documented(symbol)) problems.push(`${name}: no doc comment`);
    for (const declaration of symbol.getDeclarations() ?? []) {
      if (!ts.isInterfaceDeclaration(declaration) && !ts.isClassDeclaration(declaration)) continue;
      for (const member of declaration.members) {
        if (ts.isConstructorDeclaration(member) || ts.isIndexSignatureDeclaration(member) || member.name === undefined) continue;
        const modifiers = ts.getCombinedModifierFlags(member as ts.Declaration);
        if (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected) || ts.isPrivateIdentifier(member.name)) continue;
        const m = checker.getSymbolAtLocation(member.name);
        if (!m) continue;
        const where = `${name}.${m.getName()}`;
        if (!documented(m)) problems.push(`${where}: no doc comment`);
        const optional = ts.isPropertySignature(member) && member.questionToken !== undefined;
        if (optional && !m.getJsDocTags(checker).some((t) => t.name === "default")) problems.push(`${where}: optional, but no @default`);
      }
    }
  }
  return problems;
}
