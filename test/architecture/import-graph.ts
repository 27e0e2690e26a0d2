// The import graph of src/, read with the TypeScript parser, and the layering rules it must
// keep (README "Layout"). `violations` is a pure function of the graph, so the rules are tested
// against made-up graphs as well as the real one.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  /** The importing module, relative to src/ (`edge/app.ts`). */
  from: string;
  /** A module of src/ (`store/store.ts`), or a package or builtin as written (`express`, `node:http`). */
  to: string;
  /** `import type` / `export type`, or every named binding type-only: erased at compile time. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

export function readImportGraph(srcDir: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(srcDir)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
    const from = relative(srcDir, file);
    const add = (specifier: string, typeOnly: boolean) => {
      const to = specifier.startsWith('.')
        ? relative(srcDir, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts')
        : specifier;
      edges.push({ from, to, typeOnly });
    };
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const clause = node.importClause;
        const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
        const allTypes = !!clause && !clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly);
        add(node.moduleSpecifier.text, !!clause?.isTypeOnly || allTypes);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
        add(node.moduleSpecifier.text, node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const [argument] = node.arguments;
        if (argument && ts.isStringLiteral(argument)) add(argument.text, false);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return edges;
}

const under = (dir: string) => (module: string) => module.startsWith(`${dir}/`);
const isPackageOrBuiltin = (module: string) => !module.endsWith('.ts');
const HTTP_CODE = new Set(['express', 'undici', 'node:http', 'node:https', 'node:http2', 'supertest', 'busboy']);

export interface Rule {
  name: string;
  /** True when the edge breaks the rule. */
  breaks(edge: ImportEdge): boolean;
}

export const RULES: readonly Rule[] = [
  {
    name: 'the edge reaches the store and v3 only through core',
    breaks: ({ from, to }) => under('edge')(from) && (under('store')(to) || under('v3')(to)),
  },
  {
    name: 'the scheduler reaches the store and v3 only through core',
    breaks: ({ from, to }) => under('scheduler')(from) && (under('store')(to) || under('v3')(to)),
  },
  {
    // Pure functions: other rules, and types (mappings, v3 schemas) that vanish at compile time.
    name: 'rules/ imports nothing with I/O: other rules and types only',
    breaks: ({ from, to, typeOnly }) => under('rules')(from) && !under('rules')(to) && (isPackageOrBuiltin(to) || !typeOnly),
  },
  {
    // Its own modules, packages, the v3 schemas and the mappings types; the shared logger setup;
    // and its command-line entry point reads the mappings folder, as `npm run simulator` must.
    name: 'the simulator shares only the v3 schemas and the mappings types with the bridge',
    breaks: ({ from, to, typeOnly }) => {
      if (!under('simulator')(from) || under('simulator')(to) || isPackageOrBuiltin(to)) return false;
      if (to === 'v3/schemas.ts' || to === 'config/mappings-schema.ts' || to === 'log.ts') return false;
      if (to === 'config/mappings.ts' && typeOnly) return false;
      if (from === 'simulator/main.ts' && (to === 'config/mappings.ts' || to === 'config/errors.ts')) return false;
      return true;
    },
  },
  {
    name: 'the store imports no HTTP code',
    breaks: ({ from, to }) =>
      under('store')(from) &&
      (HTTP_CODE.has(to) || under('edge')(to) || under('admin')(to) || under('simulator')(to) || (under('v3')(to) && to !== 'v3/schemas.ts')),
  },
];

export function violations(edges: readonly ImportEdge[], rules: readonly Rule[] = RULES): string[] {
  return rules.flatMap((rule) => edges.filter((edge) => rule.breaks(edge)).map((e) => `${rule.name}: ${e.from} imports ${e.to}`));
}
