import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';

const root = join(__dirname, '../..');

/**
 * Every ```ts block of the README is type-checked against the library, so the documentation
 * cannot drift from the API. A block whose first line is `// name.ts` is the file `name.ts`, so
 * later blocks can import it; other blocks get a name of their own.
 */
function readmeBlocks(): Map<string, string> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const files = new Map<string, string>();
  let index = 0;
  for (const [, code] of readme.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const named = /^\/\/ ([\w./-]+\.ts)\n/.exec(code);
    const name = named ? named[1] : `block-${++index}.ts`;
    files.set(join(root, 'readme-examples', name), code);
  }
  return files;
}

describe('README code blocks', () => {
  it('compile against the library', () => {
    const files = readmeBlocks();
    const options: ts.CompilerOptions = {
      ...ts.convertCompilerOptionsFromJson(JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')).compilerOptions, root).options,
      noEmit: true,
      baseUrl: root,
      paths: { 'nestjs-melange': ['lib/index.ts'], 'nestjs-melange/testing': ['lib/testing/index.ts'], 'nestjs-melange/health': ['lib/health/index.ts'], 'nestjs-melange/dashboard': ['lib/dashboard/index.ts'], 'nestjs-melange/lambda': ['lib/lambda/index.ts'], 'nestjs-melange/rabbitmq': ['lib/backends/rabbitmq/index.ts'] },
    };
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    const getSourceFile = host.getSourceFile.bind(host);
    const examples = join(root, 'readme-examples');
    host.fileExists = (name) => files.has(name) || ts.sys.fileExists(name);
    host.directoryExists = (name) => name === examples || ts.sys.directoryExists(name);
    host.readFile = (name) => files.get(name) ?? readFile(name);
    host.getSourceFile = (name, language) => {
      const code = files.get(name);
      return code === undefined ? getSourceFile(name, language) : ts.createSourceFile(name, code, language);
    };

    const program = ts.createProgram([...files.keys()], options, host);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file ? `${d.file.fileName.replace(root + '/', '')}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1} ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);

    expect(files.size).toBeGreaterThanOrEqual(4);
    expect(problems).toEqual([]);
  });
});
