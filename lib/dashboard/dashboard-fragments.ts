import type { DeadLetterMessage, QueueOverview } from '../admin/admin.types';
import { html, type Html } from './html';

/*
 * Every piece of the page is rendered here, on the server, with every value escaped; the page's
 * script only swaps these fragments in. One renderer means one place to get escaping right.
 */

const rate = (value: number | undefined): string => (value === undefined ? '' : value.toFixed(value % 1 === 0 ? 0 : 1));

function consumerCell(queue: QueueOverview): Html {
  const consumer = queue.consumer;
  if (!consumer) return html`<td class="muted">—</td>`;
  const action =
    consumer.state === 'running'
      ? html`<button type="button" data-action="pause" data-backend="${queue.backend}" data-queue="${queue.queue}">Pause</button>`
      : consumer.state === 'paused'
        ? html`<button type="button" data-action="resume" data-backend="${queue.backend}" data-queue="${queue.queue}">Resume</button>`
        : html``;
  const failing = consumer.failing ? html` <span class="bad" title="${consumer.lastError ?? ''}">failing</span>` : html``;
  return html`<td data-cell="consumer"><span class="state state-${consumer.state.replace(' ', '-')}">${consumer.state}</span>${failing} ${action}</td>`;
}

function queueRow(queue: QueueOverview): Html {
  const counts = queue.counts;
  const isDeadLetter = queue.roles.includes('dead-letter');
  const browse = isDeadLetter
    ? html`<button type="button" data-action="browse" data-backend="${queue.backend}" data-queue="${queue.queue}">Browse</button>`
    : html``;
  const note = queue.error ?? (queue.exists ? '' : 'not declared on the broker');
  return html`<tr data-queue="${queue.queue}" data-backend="${queue.backend}" class="${isDeadLetter && (counts?.visible ?? 0) > 0 ? 'attention' : ''}">
  <td>${queue.queue}<div class="muted small">${queue.backend} · ${queue.roles.join(', ')}${queue.fifo ? ' · FIFO' : ''}</div></td>
  <td class="num" data-count="visible">${counts?.visible ?? ''}</td>
  <td class="num" data-count="inFlight">${counts?.inFlight ?? ''}</td>
  <td class="num" data-count="delayed">${counts?.delayed ?? ''}</td>
  <td>${queue.deadLetterQueue ?? (queue.deadLetterFor.length > 0 ? `for ${queue.deadLetterFor.join(', ')}` : '')}</td>
  ${consumerCell(queue)}
  <td class="num" data-rate="handled">${rate(queue.rates?.lastMinute.handled)}</td>
  <td class="num" data-rate="retried">${rate(queue.rates?.lastMinute.retried)}</td>
  <td class="num" data-rate="deadLettered">${rate(queue.rates?.lastMinute.deadLettered)}</td>
  <td>${browse}<span class="muted small">${note}</span></td>
</tr>`;
}

export function queuesTable(queues: readonly QueueOverview[]): Html {
  return html`<table id="queues">
<thead><tr><th>Queue</th><th class="num">Visible</th><th class="num">In flight</th><th class="num">Delayed</th><th>Dead letters</th><th>Consumer</th>
<th class="num" title="per minute, in this process">Handled/min</th><th class="num">Retried/min</th><th class="num">Dead-lettered/min</th><th></th></tr></thead>
<tbody>${queues.map(queueRow)}</tbody>
</table>`;
}

function deadLetterRow(backend: string, queue: string, message: DeadLetterMessage, showPayloads: boolean): Html {
  const payload = showPayloads ? html`<td><pre>${message.payload ?? ''}</pre></td>` : html``;
  return html`<tr data-message-id="${message.messageId}">
  <td><code>${message.messageId}</code></td>
  <td>${message.manifest ?? '(none)'}</td>
  <td data-cell="reason">${message.reason ?? message.undecodable ?? '(moved by the broker: no reason recorded)'}</td>
  <td>${message.sourceQueue ?? ''}</td>
  <td class="num">${message.receiveCount}</td>
  <td>${message.sentAt?.toISOString().replace('T', ' ').slice(0, 19) ?? ''}</td>
  ${payload}
  <td><button type="button" data-action="redrive-one" data-backend="${backend}" data-queue="${queue}" data-message-id="${message.messageId}">Redrive</button></td>
</tr>`;
}

export function deadLettersPanel(backend: string, queue: string, messages: readonly DeadLetterMessage[], showPayloads: boolean, max: number): Html {
  const body =
    messages.length === 0
      ? html`<p class="muted" id="dead-letters-empty">No messages in ${queue}.</p>`
      : html`<table id="dead-letters">
<thead><tr><th>Message id</th><th>Manifest</th><th>Reason</th><th>Source</th><th class="num">Receives</th><th>Entered (UTC)</th>${showPayloads ? html`<th>Payload</th>` : html``}<th></th></tr></thead>
<tbody>${messages.map((message) => deadLetterRow(backend, queue, message, showPayloads))}</tbody>
</table>`;
  const more = messages.length >= max ? html`<p class="muted small">The first ${max} shown.</p>` : html``;
  return html`<div class="panel-head"><h2>Dead letters in <span id="dead-letter-queue">${queue}</span></h2>
<button type="button" data-action="redrive-all" data-backend="${backend}" data-queue="${queue}" ${messages.length === 0 ? 'disabled' : ''}>Redrive all</button></div>
<p class="muted small">Listing receives each message once and releases it at once: its receive count goes up by one.${showPayloads ? '' : ' Payloads are hidden (showPayloads is off).'}</p>
${body}${more}`;
}
