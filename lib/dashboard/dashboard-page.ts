import type { QueueOverview } from '../admin/admin.types';
import { SCRIPT, STYLE } from './dashboard-assets';
import { queuesTable } from './dashboard-fragments';
import { html, Html } from './html';

/** The whole page: the queues table rendered now, the dead-letter panel filled in on "Browse". */
export function dashboardPage(queues: readonly QueueOverview[], refreshMs: number): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Melange queues</title>
<style>${new Html(STYLE)}</style>
</head>
<body data-refresh="${refreshMs}">
<h1>Melange queues</h1>
<p class="muted small">Counts come from the broker; consumers and per-minute rates from this process. The page refreshes every ${Math.round(refreshMs / 1000)} s.</p>
<p id="status" role="status"></p>
<section id="queues-panel">${queuesTable(queues)}</section>
<section id="dead-letters-panel"><p class="muted">Choose "Browse" on a dead-letter queue to see its messages and why they failed.</p></section>
<script>${new Html(SCRIPT)}</script>
</body>
</html>`.text;
}
