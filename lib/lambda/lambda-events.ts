/*
 * The parts of Lambda's events and context this entry point reads, declared here so that the
 * library's types do not require @types/aws-lambda. `SQSEvent`, `SNSEvent` and `Context` from
 * @types/aws-lambda are assignable to them.
 */

/** A message attribute as Lambda writes it: camelCase, binary values in base64. */
export interface LambdaSqsMessageAttribute {
  readonly dataType: string;
  readonly stringValue?: string;
  /** Base64. */
  readonly binaryValue?: string;
}

/** The system attributes read here; Lambda sends others (SentTimestamp, SenderId...). */
export interface LambdaSqsRecordAttributes {
  readonly ApproximateReceiveCount?: string;
  readonly MessageGroupId?: string;
}

/** One record of an SQS event (`eventSource: 'aws:sqs'`). */
export interface LambdaSqsRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: LambdaSqsRecordAttributes;
  readonly messageAttributes: Readonly<Record<string, LambdaSqsMessageAttribute>>;
  readonly eventSource: string;
  /** `arn:aws:sqs:<region>:<account>:<queue name>`: the queue the record came from. */
  readonly eventSourceARN: string;
}

export interface LambdaSqsEvent {
  readonly Records: readonly LambdaSqsRecord[];
}

/** An SNS message attribute as SNS writes it in notifications. */
export interface LambdaSnsMessageAttribute {
  readonly Type: string;
  readonly Value: string;
}

/** One record of an SNS event (`EventSource: 'aws:sns'`). */
export interface LambdaSnsRecord {
  readonly EventSource: string;
  readonly Sns: {
    readonly MessageId: string;
    readonly TopicArn: string;
    readonly Message: string;
    readonly MessageAttributes?: Readonly<Record<string, LambdaSnsMessageAttribute>>;
  };
}

export interface LambdaSnsEvent {
  readonly Records: readonly LambdaSnsRecord[];
}

export type MelangeLambdaEvent = LambdaSqsEvent | LambdaSnsEvent;

/** What is read of the invocation's context. */
export interface LambdaInvocationContext {
  /** Milliseconds until Lambda ends the invocation. */
  getRemainingTimeInMillis(): number;
  readonly awsRequestId?: string;
}

/** The partial batch response (`ReportBatchItemFailures`): the records SQS is to deliver again. */
export interface LambdaBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export const SQS_EVENT_SOURCE = 'aws:sqs';
export const SNS_EVENT_SOURCE = 'aws:sns';
