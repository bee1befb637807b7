import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface Environment {
  readonly node: string;
  readonly platform: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGb: number;
  readonly loadAverageAtStart: readonly number[];
  readonly versions: Record<string, string>;
  readonly commit: string;
}

function version(path: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, path, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((entry) => entry.startsWith('model name'));
    if (line) return line.split(':')[1]!.trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'lib'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${head} + uncommitted changes in lib/` : head;
  } catch {
    return 'unknown';
  }
}

export function environment(): Environment {
  return {
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: os.availableParallelism(),
    cpuModel: cpuModel(),
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    loadAverageAtStart: os.loadavg().map((value) => Math.round(value * 100) / 100),
    commit: commit(),
    versions: {
      'nestjs-melange': `${version('.')} (source, lib/)`,
      '@aws-sdk/client-sqs (library)': version('node_modules/@aws-sdk/client-sqs'),
      '@aws-sdk/client-sqs (bench, peers)': version('bench/node_modules/@aws-sdk/client-sqs'),
      '@aws-sdk/client-sns': version('node_modules/@aws-sdk/client-sns'),
      '@nestjs/core': version('node_modules/@nestjs/core'),
      'class-transformer': version('node_modules/class-transformer'),
      'sqs-consumer': version('bench/node_modules/sqs-consumer'),
      '@ssut/nestjs-sqs': version('bench/node_modules/@ssut/nestjs-sqs'),
      'sqs-consumer (under @ssut/nestjs-sqs)': version('bench/node_modules/@ssut/nestjs-sqs/node_modules/sqs-consumer'),
      'fauxqs (local SQS/SNS server)': version('node_modules/fauxqs'),
      'amqplib (library)': version('node_modules/amqplib'),
      'amqplib (bench: raw, golevelup)': version('bench/node_modules/amqplib'),
      '@golevelup/nestjs-rabbitmq': version('bench/node_modules/@golevelup/nestjs-rabbitmq'),
      'amqp-connection-manager': version('bench/node_modules/amqp-connection-manager'),
    },
  };
}

export function describeEnvironment(env: Environment): string {
  return [
    `- Machine: ${env.cpus} CPU(s), ${env.cpuModel}, ${env.memoryGb} GB RAM, ${env.platform}`,
    `- Node.js ${env.node}; load average at start ${env.loadAverageAtStart.join(' / ')} (1/5/15 min)`,
    `- Commit ${env.commit}`,
    `- ${Object.entries(env.versions).map(([name, value]) => `${name} ${value}`).join(', ')}`,
  ].join('\n');
}
