/*
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by owner (the library's files, the AWS
 * SDK, Nest, class-transformer, Node internals, GC, idle) and the hottest functions.
 *   node -r ts-node/register/transpile-only bench/src/profile-summary.ts <file.cpuprofile> [top]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export function owner(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return 'V8/native (program)';
  if (url === '') return 'native / builtins';
  const path = url.replace(/^file:\/\//, '');
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (/node_modules\/ts-node|node_modules\/typescript\//.test(path)) return 'ts-node (load time)';
  if (packageMatch) {
    const name = packageMatch[1]!;
    if (name.startsWith('@aws-sdk/') || name.startsWith('@smithy/') || name.startsWith('@aws/') || name === 'fast-xml-parser' || name === 'tslib') return 'AWS SDK (@aws-sdk, @smithy)';
    if (name.startsWith('@nestjs/')) return 'Nest (@nestjs/*)';
    if (name === 'class-transformer') return 'class-transformer';
    if (name.startsWith('@opentelemetry/')) return 'OpenTelemetry API';
    if (name === 'sqs-consumer' || name === '@ssut/nestjs-sqs') return name;
    if (name === 'rxjs') return 'rxjs';
    return `other packages (${name})`;
  }
  if (/\/lib\//.test(path) && !/node:/.test(url) && /\/work\/main\/lib\//.test(path)) return 'nestjs-melange (lib/)';
  if (/\/bench\//.test(path)) return 'bench harness';
  if (url.startsWith('node:')) return 'Node internals (node:*)';
  return 'other';
}

export function summarise(file: string, top = 25, messages?: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const ownerOfFunction = new Map<string, string>();
  let total = 0;
  let busy = 0;
  for (const [id, micros] of selfMicros) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const who = owner(url, functionName);
    byOwner.set(who, (byOwner.get(who) ?? 0) + micros);
    total += micros;
    if (who !== 'idle') busy += micros;
    const where = url ? `${url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, '').replace(/.*\/work\/main\//, '')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
    ownerOfFunction.set(key, who);
  }
  const lines: string[] = [];
  lines.push(`profile ${file}: ${(total / 1000).toFixed(0)} ms sampled, ${(busy / 1000).toFixed(0)} ms busy (not idle)`);
  const perMessage = (micros: number): string => (messages ? ` ${(micros / messages).toFixed(1)} |` : '');
  lines.push('', `| owner | self ms | % of busy |${messages ? ' µs per message |' : ''}`, `| --- | --- | --- |${messages ? ' --- |' : ''}`);
  for (const [who, micros] of [...byOwner].sort((a, b) => b[1] - a[1])) {
    if (who === 'idle') continue;
    lines.push(`| ${who} | ${(micros / 1000).toFixed(0)} | ${((100 * micros) / busy).toFixed(1)} % |${perMessage(micros)}`);
  }
  if (messages) lines.push(`| **all (busy)** | ${(busy / 1000).toFixed(0)} | 100 % |${perMessage(busy)}`);
  lines.push('', `| hottest functions (self) | ms | % of busy |`, '| --- | --- | --- |');
  for (const [key, micros] of [...byFunction].filter(([key]) => !key.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`| \`${key}\` | ${(micros / 1000).toFixed(0)} | ${((100 * micros) / busy).toFixed(1)} % |`);
  }
  // Inclusive ("total") time per function: its own samples and those of everything it called.
  const inclusive = new Map<string, number>();
  const keyOf = (node: ProfileNode): string => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, '').replace(/.*\/work\/main\//, '')}:${lineNumber + 1}` : '';
    return `${functionName || '(anonymous)'} ${where}`.trim();
  };
  const root = profile.nodes[0]!;
  const active = new Map<string, number>();
  const walk = (node: ProfileNode): number => {
    const key = keyOf(node);
    active.set(key, (active.get(key) ?? 0) + 1);
    let subtree = selfMicros.get(node.id) ?? 0;
    for (const child of node.children ?? []) subtree += walk(byId.get(child)!);
    active.set(key, active.get(key)! - 1);
    // Only the outermost frame of a recursion counts, or time would be counted twice.
    if (active.get(key) === 0) inclusive.set(key, (inclusive.get(key) ?? 0) + subtree);
    return subtree;
  };
  walk(root);
  const libraryInclusive = [...inclusive].filter(([key]) => /^\S+ lib\//.test(key)).sort((a, b) => b[1] - a[1]);
  if (libraryInclusive.length > 0) {
    lines.push('', `| nestjs-melange (lib/) functions, inclusive (self + callees) | ms | % of busy |`, '| --- | --- | --- |');
    for (const [key, micros] of libraryInclusive.slice(0, 20)) {
      lines.push(`| \`${key}\` | ${(micros / 1000).toFixed(0)} | ${((100 * micros) / busy).toFixed(1)} % |`);
    }
  }
  const library = [...byFunction].filter(([key]) => ownerOfFunction.get(key) === 'nestjs-melange (lib/)').sort((a, b) => b[1] - a[1]);
  if (library.length > 0) {
    lines.push('', `| hottest functions in nestjs-melange (lib/), self | ms | % of busy |`, '| --- | --- | --- |');
    for (const [key, micros] of library.slice(0, 15)) {
      lines.push(`| \`${key}\` | ${(micros / 1000).toFixed(0)} | ${((100 * micros) / busy).toFixed(1)} % |`);
    }
  }
  return lines.join('\n');
}

if (require.main === module) {
  console.log(summarise(process.argv[2]!, Number(process.argv[3] ?? 25), process.argv[4] ? Number(process.argv[4]) : undefined));
}
