/**
 * Every public function of the five entry points carries an `@example` in its JSDoc, where editors
 * show it: each exported function, each public method of an exported class, and each method of the
 * objects those functions return (a `Client`, a `KeyPool`, a `MockServer`…). Read from the sources
 * with the TypeScript compiler, through `extends` and overloads (an example on one overload serves
 * them all).
 *
 * Not counted: methods named by a symbol (`[Symbol.hasInstance]`), protocols rather than calls; and
 * the functions of a returned `Hooks` or `Dialect`, which the client calls, not its user.
 */
import { join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const ENTRIES = [
  "src/index.ts",
  "src/batch/index.ts",
  "src/mock/index.ts",
  "src/testing/index.ts",
  "src/redis/index.ts",
];
/** Returned objects whose functions are called by the client, not by the user. */
const CALLED_BY_THE_CLIENT = new Set(["Hooks", "Dialect"]);
/**
 * Functions that have no example yet, each named where it is declared. Remove a name once its
 * example is written: the test fails while the list is longer than it has to be.
 */
const PENDING: string[] = [];

const program = ts.createProgram(
  ENTRIES.map((entry) => join(ROOT, entry)),
  {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ["node"],
    skipLibCheck: true,
    noEmit: true,
  },
);
const checker = program.getTypeChecker();

const hasExample = (declarations: readonly ts.Declaration[] | undefined) =>
  (declarations ?? []).some((declaration) =>
    ts.getJSDocTags(declaration).some((tag) => tag.tagName.text === "example"),
  );
const inSources = (node: ts.Node) =>
  !relative(join(ROOT, "src"), node.getSourceFile().fileName).startsWith("..");

/** `Name.member` of a member, named by the interface or class that declares it. */
function memberName(member: ts.Symbol): string {
  const parent = member.declarations?.[0]?.parent;
  const owner =
    parent !== undefined && (ts.isInterfaceDeclaration(parent) || ts.isClassDeclaration(parent))
      ? (parent.name?.text ?? "?")
      : "?";
  return `${owner}.${member.name}`;
}

/** Every public function, with whether it has an example; keyed by name, so each counts once. */
function publicFunctions(): Map<string, boolean> {
  const found = new Map<string, boolean>();
  const visitReturned = (type: ts.Type) => {
    const awaited = checker.getAwaitedType(type) ?? type;
    const symbol = awaited.getSymbol() ?? awaited.aliasSymbol;
    const declaration = symbol?.declarations?.[0];
    if (symbol === undefined || declaration === undefined || !inSources(declaration)) return;
    if (!ts.isInterfaceDeclaration(declaration) || CALLED_BY_THE_CLIENT.has(symbol.name)) return;
    for (const property of checker.getPropertiesOfType(awaited)) {
      const propertyDeclaration = property.declarations?.[0];
      if (propertyDeclaration === undefined || !inSources(propertyDeclaration)) continue;
      const propertyType = checker.getTypeOfSymbolAtLocation(property, propertyDeclaration);
      if (propertyType.getNonNullableType().getCallSignatures().length === 0) continue;
      found.set(memberName(property), hasExample(property.declarations));
    }
  };
  for (const entry of ENTRIES) {
    const source = program.getSourceFile(join(ROOT, entry));
    const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    if (moduleSymbol === undefined) throw new Error(`cannot read ${entry}`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (symbol.flags & ts.SymbolFlags.Function) {
        found.set(symbol.name, hasExample(symbol.declarations));
        const type = checker.getTypeOfSymbol(symbol);
        for (const signature of type.getCallSignatures()) visitReturned(signature.getReturnType());
      }
      if (symbol.flags & ts.SymbolFlags.Class) {
        for (const declaration of symbol.declarations ?? []) {
          if (!ts.isClassDeclaration(declaration)) continue;
          for (const member of declaration.members) {
            if (!ts.isMethodDeclaration(member) || !ts.isIdentifier(member.name)) continue;
            const flags = ts.getCombinedModifierFlags(member);
            if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
            const memberSymbol = checker.getSymbolAtLocation(member.name);
            if (memberSymbol !== undefined)
              found.set(memberName(memberSymbol), hasExample(memberSymbol.declarations));
          }
        }
      }
    }
  }
  return found;
}

describe("@example on every public function", () => {
  const functions = publicFunctions();

  it(`finds the public functions (${functions.size})`, () => {
    // A few that must be there, so that a change in how they are found cannot empty the list.
    for (const name of [
      "createClient",
      "Client.request",
      "Paginates.paginate",
      "KeyPool.run",
      "MockServer.close",
    ]) {
      expect(functions.has(name), name).toBe(true);
    }
  });

  it("gives each an example, but those still pending", () => {
    const missing = [...functions].filter(([, example]) => !example).map(([name]) => name);
    expect(missing.sort()).toEqual([...PENDING].sort());
  });
});
