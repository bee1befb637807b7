import { createHash } from 'node:crypto';
import type { QueueAttributeName } from '@aws-sdk/client-sqs';
import { InfrastructureError } from '../../errors';
import type { QueueSpec, SubscriptionSpec } from '../messaging-backend';
import { MANIFEST_ATTRIBUTE } from './sqs-wire-format';
import { parseRedrivePolicy } from './sqs-directory';

/*
 * What a declaration wants of SQS and SNS, worked out without a request: a queue spec checked and
 * turned into attributes, the differences from what exists, a queue policy that lets a topic send,
 * a subscription's filter policy. Declaring (SqsInfrastructure) and planning a dry run
 * (SqsDeclarationPlan) both follow these rules, so a plan shows what a declaration would do.
 */

/** A dead-letter queue the library creates itself keeps messages as long as SQS allows: 14 days. */
export const DEAD_LETTER_RETENTION_SECONDS = '1209600';

interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly Action?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

interface PolicyDocument {
  readonly Version?: string;
  readonly Id?: string;
  readonly Statement?: PolicyStatement | readonly PolicyStatement[];
}

function asList<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) {
    return [];
  }
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/** Stable per topic, so declaring again finds its own statement instead of adding another. */
export function topicStatementSid(topicArn: string): string {
  return `MelangeTopic${createHash('sha256').update(topicArn).digest('hex').slice(0, 24)}`;
}

function grantsTopic(statement: PolicyStatement, topicArn: string): boolean {
  if (statement.Sid === topicStatementSid(topicArn)) {
    return true;
  }
  if (statement.Effect !== 'Allow') {
    return false;
  }
  const actions = asList(statement.Action);
  if (!actions.some((action) => action === 'sqs:SendMessage' || action === 'sqs:*' || action === '*')) {
    return false;
  }
  return ['ArnEquals', 'ArnLike', 'StringEquals'].some((operator) =>
    asList(statement.Condition?.[operator]?.['aws:SourceArn']).includes(topicArn),
  );
}

/**
 * Adds a statement letting the topic send to the queue, keeping every statement already there.
 * Returns undefined when the policy already grants it. Python melange replaced the whole policy on
 * each subscription, which silently cut off the topics subscribed before.
 */
export function mergeTopicPermission(
  existingPolicy: string | undefined,
  queueArn: string,
  topicArn: string,
): string | undefined {
  let document: PolicyDocument = {};
  if (existingPolicy) {
    try {
      document = JSON.parse(existingPolicy) as PolicyDocument;
    } catch {
      throw new InfrastructureError(queueArn, 'its access policy is not valid JSON; fix or remove it on the broker');
    }
  }
  const statements = asList(document.Statement);
  if (statements.some((statement) => grantsTopic(statement, topicArn))) {
    return undefined;
  }
  const statement: PolicyStatement = {
    Sid: topicStatementSid(topicArn),
    Effect: 'Allow',
    Principal: { Service: 'sns.amazonaws.com' },
    Action: 'sqs:SendMessage',
    Resource: queueArn,
    Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
  };
  return JSON.stringify({
    ...document,
    Version: document.Version ?? '2012-10-17',
    Statement: [...statements, statement],
  });
}

export function sameJson(left: string | undefined, right: string | undefined): boolean {
  const parse = (text: string | undefined): unknown => {
    if (!text) {
      return undefined;
    }
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  };
  return canonical(parse(left)) === canonical(parse(right));
}

/** Key order and whitespace do not make two policies different. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonical).join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

export function filterPolicyOf(spec: SubscriptionSpec): Record<string, unknown> | undefined {
  if (!spec.manifests && !spec.filterPolicy) {
    return undefined;
  }
  const policy: Record<string, unknown> = { ...(spec.filterPolicy ?? {}) };
  if (spec.manifests) {
    if (MANIFEST_ATTRIBUTE in policy) {
      throw new InfrastructureError(
        `${spec.topic} → ${spec.queue}`,
        `both "manifests" and a filterPolicy key "${MANIFEST_ATTRIBUTE}" are given; keep one`,
      );
    }
    if (spec.manifests.length === 0) {
      throw new InfrastructureError(
        `${spec.topic} → ${spec.queue}`,
        '"manifests" is empty, which would let no message through; omit it to receive every message',
      );
    }
    policy[MANIFEST_ATTRIBUTE] = [...spec.manifests];
  }
  return policy;
}

/** Validates a queue spec before any request; returns whether the queue is FIFO. */
export function checkQueueSpec(spec: QueueSpec): boolean {
  const nameIsFifo = spec.name.endsWith('.fifo');
  const fifo = spec.fifo ?? nameIsFifo;
  if (fifo !== nameIsFifo) {
    throw new InfrastructureError(
      spec.name,
      fifo ? 'a FIFO queue name must end in ".fifo"' : 'a name ending in ".fifo" is only allowed for FIFO queues',
    );
  }
  if (spec.maxReceiveCount !== undefined && !spec.deadLetterQueue) {
    throw new InfrastructureError(spec.name, 'maxReceiveCount is set but no deadLetterQueue to move messages to');
  }
  if (spec.contentBasedDeduplication !== undefined && !fifo) {
    throw new InfrastructureError(spec.name, 'contentBasedDeduplication only applies to FIFO queues');
  }
  if (spec.deadLetterQueue && spec.deadLetterQueue.endsWith('.fifo') !== fifo) {
    throw new InfrastructureError(
      spec.name,
      `its dead-letter queue "${spec.deadLetterQueue}" must be ${fifo ? 'a FIFO' : 'a standard'} queue like itself`,
    );
  }
  return fifo;
}

/** The attributes a checked spec asks for; `deadLetterArn` is its dead-letter queue's, when it has one. */
export function desiredQueueAttributes(
  spec: QueueSpec,
  deadLetterArn: string | undefined,
  defaultMaxReceiveCount: number,
): Partial<Record<QueueAttributeName, string>> {
  const desired: Partial<Record<QueueAttributeName, string>> = {};
  if (spec.fifo ?? spec.name.endsWith('.fifo')) {
    desired.FifoQueue = 'true';
  }
  if (spec.contentBasedDeduplication !== undefined) {
    desired.ContentBasedDeduplication = String(spec.contentBasedDeduplication);
  }
  if (spec.visibilityTimeout !== undefined) {
    desired.VisibilityTimeout = String(spec.visibilityTimeout);
  }
  if (spec.messageRetentionPeriod !== undefined) {
    desired.MessageRetentionPeriod = String(spec.messageRetentionPeriod);
  }
  if (spec.delaySeconds !== undefined) {
    desired.DelaySeconds = String(spec.delaySeconds);
  }
  if (deadLetterArn !== undefined) {
    desired.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: deadLetterArn,
      maxReceiveCount: spec.maxReceiveCount ?? defaultMaxReceiveCount,
    });
  }
  return desired;
}

/** The desired attributes that differ from the queue's current ones (FifoQueue cannot change, so it is never one). */
export function queueAttributeChanges(
  current: Partial<Record<string, string>>,
  desired: Partial<Record<QueueAttributeName, string>>,
): Partial<Record<QueueAttributeName, string>> {
  const changes: Partial<Record<QueueAttributeName, string>> = {};
  for (const [key, value] of Object.entries(desired) as Array<[QueueAttributeName, string]>) {
    if (key === 'FifoQueue') {
      continue;
    }
    if (key === 'RedrivePolicy') {
      const wanted = parseRedrivePolicy(value);
      const existing = parseRedrivePolicy(current.RedrivePolicy);
      if (
        existing?.deadLetterTargetArn === wanted?.deadLetterTargetArn &&
        existing?.maxReceiveCount === wanted?.maxReceiveCount
      ) {
        continue;
      }
    } else if (key === 'ContentBasedDeduplication' && (current[key] ?? 'false') === value) {
      continue;
    } else if (current[key] === value) {
      continue;
    }
    changes[key] = value;
  }
  return changes;
}
