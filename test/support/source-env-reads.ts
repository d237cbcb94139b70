import path from 'node:path';
import ts from 'typescript';

/**
 * Which environment variables a program reads, found in its source rather than in a list
 * someone keeps: starting from entry files, follows the imports that exist at run time
 * (not `import type`) through the files under `within`, and collects every read of an
 * object typed `NodeJS.ProcessEnv` — `process.env.X`, `env.X`, `env['X']`,
 * `env[NAME_CONSTANT]`, `const { X } = process.env`. The type checker resolves constant
 * keys, so `process.env[CATALOGUE_ENV_VAR]` counts as the name it holds.
 *
 * What it cannot see, it reports rather than guesses: a read whose key is not a known
 * string (`env[\`GANTRY_ROUTER_${flag}\`]`) is a dynamic read, and packages are listed
 * by name so a caller can add what a package is documented to read (envconfig). Handing
 * the whole environment on (`{ ...process.env }` to a child, `Object.entries(env)`) is
 * not a read of any name, and is not reported.
 */

export interface EnvRead {
  name: string;
  /** Relative to the root given to {@link findEnvReads}. */
  file: string;
  line: number;
}

export interface DynamicEnvRead {
  file: string;
  line: number;
  /** The source text of the read, e.g. env[`GANTRY_ROUTER_${flag}`]. */
  text: string;
}

export interface SourceEnvReads {
  reads: EnvRead[];
  dynamic: DynamicEnvRead[];
  /** Files reached from the entries (relative), for messages and sanity checks. */
  files: string[];
  /** Bare module specifiers imported at run time by those files (`@temporalio/envconfig`, `node:path`). */
  packages: string[];
}

export interface FindEnvReadsOptions {
  /** Repository root: paths in the answer are relative to it, and its tsconfig.json is used. */
  root: string;
  /** Entry files, relative to the root. */
  entries: string[];
  /** Only files under this folder (relative to the root) are followed, e.g. `src`. */
  within: string;
}

export function findEnvReads(options: FindEnvReadsOptions): SourceEnvReads {
  const compilerOptions = readCompilerOptions(options.root);
  const relative = (file: string) => path.relative(options.root, file);
  const { files, packages } = runtimeGraph(
    options.entries.map((entry) => path.resolve(options.root, entry)),
    path.resolve(options.root, options.within) + path.sep,
    compilerOptions,
  );

  // Every reached file is a root of the program, so the checker knows even files only
  // `require()` reaches, which the compiler itself would not follow from TypeScript.
  const program = ts.createProgram(files, compilerOptions);
  const checker = program.getTypeChecker();
  const reads: EnvRead[] = [];
  const dynamic: DynamicEnvRead[] = [];
  for (const fileName of files) {
    const source = program.getSourceFile(fileName) as ts.SourceFile;
    const at = (node: ts.Node) => ({ file: relative(fileName), line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 });
    const visit = (node: ts.Node): void => {
      for (const read of envReadsAt(node, checker)) {
        if (read.kind === 'name') reads.push({ name: read.name, ...at(node) });
        else dynamic.push({ text: node.getText(source), ...at(node) });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { reads, dynamic, files: files.map(relative).sort(), packages };
}

/** The files under `within` that run when the entries do, and the packages they load. */
function runtimeGraph(entries: string[], within: string, compilerOptions: ts.CompilerOptions): { files: string[]; packages: string[] } {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const fileName = queue.shift() as string;
    if (seen.has(fileName)) continue;
    const text = ts.sys.readFile(fileName);
    if (text === undefined) throw new Error(`${fileName} cannot be read: is the entry path right?`);
    seen.add(fileName);
    for (const specifier of runtimeImports(ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true))) {
      if (!specifier.startsWith('.') && !path.isAbsolute(specifier)) {
        packages.add(specifier);
        continue;
      }
      const resolved = ts.resolveModuleName(specifier, fileName, compilerOptions, ts.sys).resolvedModule;
      const target = resolved && path.resolve(resolved.resolvedFileName);
      if (target && target.startsWith(within) && !target.endsWith('.d.ts')) queue.push(target);
    }
  }
  return { files: [...seen], packages: [...packages].sort() };
}

function readCompilerOptions(root: string): ts.CompilerOptions {
  const configFile = path.join(root, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configFile, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(config, ts.sys, root).options;
}

/** Module specifiers a file loads when it runs: type-only imports and exports are erased by the compiler. */
function runtimeImports(source: ts.SourceFile): string[] {
  const specifiers: string[] = [];
  const literal = (node: ts.Node | undefined) => (node && ts.isStringLiteralLike(node) ? node.text : undefined);
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const onlyTypes =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined && clause.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((element) => element.isTypeOnly)));
      const specifier = literal(node.moduleSpecifier);
      if (!onlyTypes && specifier) specifiers.push(specifier);
    } else if (ts.isExportDeclaration(node)) {
      const specifier = literal(node.moduleSpecifier);
      if (!node.isTypeOnly && specifier) specifiers.push(specifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const specifier = literal(node.moduleReference.expression);
      if (!node.isTypeOnly && specifier) specifiers.push(specifier);
    } else if (ts.isCallExpression(node)) {
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      const isDynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const specifier = literal(node.arguments[0]);
      if ((isRequire || isDynamicImport) && specifier) specifiers.push(specifier);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers;
}

type ReadAt = { kind: 'name'; name: string } | { kind: 'dynamic' };

/** The environment reads this very node makes (not its children's). */
function envReadsAt(node: ts.Node, checker: ts.TypeChecker): ReadAt[] {
  if (ts.isPropertyAccessExpression(node) && isProcessEnv(node.expression, checker) && !isAssignedTo(node)) {
    return [{ kind: 'name', name: node.name.text }];
  }
  if (ts.isElementAccessExpression(node) && isProcessEnv(node.expression, checker) && !isAssignedTo(node)) {
    const names = stringLiterals(checker.getTypeAtLocation(node.argumentExpression));
    return names ? names.map((name) => ({ kind: 'name', name })) : [{ kind: 'dynamic' }];
  }
  if (ts.isVariableDeclaration(node) && ts.isObjectBindingPattern(node.name) && node.initializer && isProcessEnv(node.initializer, checker)) {
    return node.name.elements.map((element): ReadAt => {
      if (element.dotDotDotToken) return { kind: 'dynamic' };
      const key = element.propertyName ?? element.name;
      return ts.isIdentifier(key) || ts.isStringLiteral(key) ? { kind: 'name', name: key.text } : { kind: 'dynamic' };
    });
  }
  return [];
}

/** Whether the expression is the environment: its type is `NodeJS.ProcessEnv` (optional or not). */
function isProcessEnv(expression: ts.Expression, checker: ts.TypeChecker): boolean {
  const type = checker.getNonNullableType(checker.getTypeAtLocation(expression));
  return (type.aliasSymbol ?? type.getSymbol())?.getName() === 'ProcessEnv';
}

/** `process.env.X = …` sets a variable; it reads none. */
function isAssignedTo(node: ts.Expression): boolean {
  const parent = node.parent;
  return ts.isBinaryExpression(parent) && parent.left === node && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken;
}

/** The string values a key can have, when the type says exactly (a literal or a union of literals). */
function stringLiterals(type: ts.Type): string[] | undefined {
  const members = type.isUnion() ? type.types : [type];
  const values = members.map((member) => (member.isStringLiteral() ? member.value : undefined));
  return values.every((value): value is string => value !== undefined) ? values : undefined;
}
