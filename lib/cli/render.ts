import type { DeadLetterMessage, DeclarationPlan, QueueOverview, RedriveResult } from '../admin/admin.types';
import type { PlannedChange } from '../backends/backend-admin';
import { logSafe } from '../log-safe';
import { diffLines } from './line-diff';

/** A plain text table: columns as wide as their widest cell, numbers right-aligned. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const numeric = headers.map((_, column) => rows.length > 0 && rows.every((row) => /^-?[\d.]*$/.test(row[column] ?? '')));
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => (numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

const count = (value: number | undefined): string => (value === undefined ? '' : String(value));

export function renderQueues(queues: readonly QueueOverview[]): string {
  const rows = queues.map((queue) => [
    queue.backend,
    // Queue names come from the broker too: escaped, so a crafted name cannot repaint the terminal.
    logSafe(queue.queue),
    queue.roles.join(','),
    queue.exists ? count(queue.counts?.visible) : 'missing',
    count(queue.counts?.inFlight),
    count(queue.counts?.delayed),
    logSafe(queue.deadLetterQueue ?? (queue.deadLetterFor.length > 0 ? `for ${queue.deadLetterFor.join(', ')}` : '')),
    queue.consumer ? queue.consumer.manifests.join(', ') : '',
    queue.error ? logSafe(queue.error) : '',
  ]);
  return table(['BACKEND', 'QUEUE', 'ROLE', 'VISIBLE', 'IN FLIGHT', 'DELAYED', 'DEAD LETTERS', 'HANDLES', 'NOTE'], rows);
}

export function renderDeadLetters(queue: string, messages: readonly DeadLetterMessage[], showPayloads: boolean): string {
  if (messages.length === 0) return `No messages in the dead-letter queue of "${logSafe(queue)}".`;
  const rows = messages.map((message) => [
    logSafe(message.messageId, 40),
    logSafe(message.manifest ?? '(none)', 40),
    logSafe(message.sourceQueue ?? '', 40),
    String(message.receiveCount),
    message.sentAt?.toISOString() ?? '',
    logSafe(message.reason ?? message.undecodable ?? '(no reason: moved by the broker)', 120),
    ...(showPayloads ? [logSafe(message.payload ?? '', 200)] : []),
  ]);
  return table(['MESSAGE ID', 'MANIFEST', 'SOURCE', 'RECEIVES', 'SENT', 'REASON', ...(showPayloads ? ['PAYLOAD'] : [])], rows);
}

export function renderRedrive(result: RedriveResult): string {
  const lines = [`Moved ${result.moved} message(s) from "${logSafe(result.deadLetterQueue)}"; ${result.skipped} left there (filter or no destination), ${result.failed} failed.`];
  if (result.failed > 0) lines.push('Failed messages stay on the dead-letter queue and reappear after the visibility timeout: run the redrive again.');
  return lines.join('\n');
}

const SYMBOL: Readonly<Record<PlannedChange['action'], string>> = { create: '+', update: '~', none: '=' };

function pretty(json: string | undefined): string[] {
  if (!json) return [];
  try {
    return JSON.stringify(JSON.parse(json), null, 2).split('\n');
  } catch {
    return [json];
  }
}

function renderChange(change: PlannedChange): string[] {
  const head = `  ${SYMBOL[change.action]} ${change.kind} ${change.name}${change.action === 'none' ? ' (no change)' : ''}`;
  const lines = [head];
  for (const attribute of change.changes) {
    if (attribute.attribute === 'Policy' || attribute.attribute === 'FilterPolicy' || attribute.attribute === 'RedrivePolicy') {
      lines.push(`      ${attribute.attribute}:`);
      for (const entry of diffLines(pretty(attribute.from), pretty(attribute.to))) lines.push(`        ${entry.sign} ${entry.line}`);
    } else if (attribute.from === undefined) {
      lines.push(`      ${attribute.attribute} = ${attribute.to}`);
    } else {
      lines.push(`      ${attribute.attribute}: ${attribute.from} → ${attribute.to}`);
    }
  }
  return lines;
}

export function renderPlan(plans: readonly DeclarationPlan[], applied: boolean): string {
  if (plans.length === 0) return 'The application declares no infrastructure (MelangeModule\'s "infrastructure" option is empty).';
  const lines: string[] = [];
  let pending = 0;
  for (const plan of plans) {
    lines.push(`backend ${plan.backend}:`);
    for (const change of plan.changes) {
      if (change.action !== 'none') pending += 1;
      lines.push(...renderChange(change));
    }
  }
  lines.push(
    pending === 0
      ? 'Nothing to change: everything is declared as the application describes it.'
      : applied
        ? `Applied ${pending} change(s).`
        : `${pending} change(s) would be made. Run "declare" without --dry-run to apply them.`,
  );
  return lines.join('\n');
}
