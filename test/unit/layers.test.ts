/**
 * The layers only point down (README "Project layout", docs/architecture.md "Code layout"):
 * every import specifier of every .ts/.mjs file is read with the TypeScript pre-processor (static
 * imports, re-exports, `import()`), and every string literal of the code (not its comments) is
 * checked for table and S3 keys.
 *
 * - `shared/` imports nothing from `infra/`, `local/`, `cli/`, `functions/` (or bench, test, web);
 * - `functions/` imports nothing from `local/`, `cli/`; `infra/` nothing from `local/`, `cli/`;
 * - `local/` and `cli/` do not import each other (what both need lives in `shared/`;
 *   `npm start` runs the demo as the `ngsp demo` command, a process, not an import);
 * - only `shared/store/` imports the DynamoDB and S3 SDKs or writes table keys (`H#…`, `MIN#…`)
 *   and S3 keys (`rollups/…`, `archive/…`, `rejected/…`) — checked in the production layers; the
 *   tests and benchmarks may look at storage directly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = normalize(join(import.meta.dirname, '..', '..'));
const LAYERS = ['shared', 'functions', 'local', 'cli', 'infra', 'bench', 'web', 'test'] as const;
const PRODUCTION = new Set(['shared', 'functions', 'local', 'cli', 'infra']);

function walk(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return walk(path);
    return /\.(ts|mjs)$/.test(e.name) && !e.name.endsWith('.gen.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

const FILES = LAYERS.flatMap((d) => walk(d));
const layerOf = (path: string): string => path.split('/')[0]!;

interface Import {
  file: string;
  specifier: string;
  /** A repository path (`shared/store/events.ts`) or a package name (`@aws-sdk/client-s3`). */
  target: string;
}

/** Every import of a file, resolved: `#shared/x` and relative paths to repository paths. */
function importsOf(file: string, text: string): Import[] {
  return ts.preProcessFile(text, true, true).importedFiles.map(({ fileName: specifier }) => {
    let target = specifier;
    if (specifier.startsWith('#')) target = specifier.slice(1);
    else if (specifier.startsWith('.')) target = relative(ROOT, join(ROOT, dirname(file), specifier));
    return { file, specifier, target };
  });
}

/** The string literals and template text of a file's code (comments are not code). */
function literalsOf(file: string, text: string): string[] {
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node))
      out.push(node.text);
    // Import specifiers are checked as imports, not as keys.
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true));
  return out;
}

const SOURCES = FILES.map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }));
const IMPORTS = SOURCES.flatMap(({ file, text }) => importsOf(file, text));
const show = (i: Import): string => `${i.file} imports ${i.specifier}`;

/** The imports that break a rule, as `file imports specifier` lines (empty when the rule holds). */
const breaking = (from: (file: string) => boolean, to: (target: string) => boolean): string[] =>
  IMPORTS.filter((i) => from(i.file) && to(i.target)).map(show);
const under =
  (...dirs: string[]) =>
  (path: string): boolean =>
    dirs.some((d) => path === d || path.startsWith(`${d}/`));

const STORE_SDKS = ['@aws-sdk/client-dynamodb', '@aws-sdk/client-s3', '@aws-sdk/util-dynamodb', '@aws-sdk/lib-dynamodb'];
/** Table keys (`H#<hash>`, `MIN#<day>`, ...) and S3 keys (`rollups/...`), as they start in a literal. */
const KEY_LITERAL = /^(?:(?:H|K|S|P|RL|MIN|DAY|D|T|E|X|WM|DIRTY)#|(?:rollups|archive|rejected)\/)/;

describe('layers point down', () => {
  it('reads the imports of every source file', () => {
    // A guard against a parser that silently finds nothing: the tree has hundreds of imports.
    expect(FILES.length).toBeGreaterThan(100);
    expect(IMPORTS.filter((i) => i.target.startsWith('shared/')).length).toBeGreaterThan(100);
    expect(breaking(under('local'), under('infra'))).not.toEqual([]);
  });

  it('shared/ imports nothing from infra/, local/, cli/, functions/, bench/, test/, web/', () => {
    expect(breaking(under('shared'), under('infra', 'local', 'cli', 'functions', 'bench', 'test', 'web'))).toEqual([]);
  });

  it('functions/ and infra/ import nothing from local/ or cli/', () => {
    expect(breaking(under('functions', 'infra'), under('local', 'cli', 'bench', 'test'))).toEqual([]);
  });

  it('local/ and cli/ do not import each other', () => {
    expect(breaking(under('local'), under('cli'))).toEqual([]);
    expect(breaking(under('cli'), under('local'))).toEqual([]);
  });

  it('only shared/store/ imports the DynamoDB and S3 SDKs', () => {
    const prod = (f: string): boolean => PRODUCTION.has(layerOf(f)) && !under('shared/store')(f);
    expect(breaking(prod, (t) => STORE_SDKS.includes(t))).toEqual([]);
  });

  it('only shared/store/ writes table and S3 keys', () => {
    const found = SOURCES.filter(({ file }) => PRODUCTION.has(layerOf(file)) && !under('shared/store')(file)).flatMap(({ file, text }) =>
      literalsOf(file, text)
        .filter((s) => KEY_LITERAL.test(s))
        .map((s) => `${file}: "${s}"`),
    );
    expect(found).toEqual([]);
    // The check sees keys where they are: the store adapters write them.
    const store = SOURCES.filter(({ file }) => under('shared/store')(file)).flatMap(({ file, text }) =>
      literalsOf(file, text).filter((s) => KEY_LITERAL.test(s)),
    );
    expect(store.length).toBeGreaterThan(5);
  });
});
