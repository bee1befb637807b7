import { createHash } from 'node:crypto';

/*
 * The page's only script and stylesheet, inline so the library ships no front-end build. The
 * script fetches fragments the server renders and posts actions; it never builds HTML from data.
 * Every request carries a header a cross-site form cannot set, which the server requires on
 * actions (a cross-site fetch setting it needs a CORS preflight, which the app does not grant).
 */
export const DASHBOARD_HEADER = 'x-melange-dashboard';

export const SCRIPT = `(() => {
  const base = location.pathname.replace(/\\/+$/, '');
  const refreshMs = Number(document.body.dataset.refresh) || 5000;
  const status = document.getElementById('status');
  let browsing = null;
  const headers = { '${DASHBOARD_HEADER}': '1' };
  const say = (text, bad) => { status.textContent = text; status.className = bad ? 'bad' : 'ok'; };
  const path = (backend, queue) => encodeURIComponent(backend) + '/' + encodeURIComponent(queue);
  async function fragment(url, target) {
    const response = await fetch(base + url, { headers, credentials: 'same-origin' });
    if (!response.ok) throw new Error(response.status + ' ' + response.statusText);
    document.getElementById(target).innerHTML = await response.text();
  }
  // The timer refreshes the counts only: browsing dead letters peeks at them (a receive, which
  // hides them for a moment and adds to their receive count), so that happens only when asked
  // for, never behind a redrive's back.
  async function refresh(withDeadLetters) {
    try {
      await fragment('/fragments/queues', 'queues-panel');
      if (browsing && withDeadLetters) await fragment('/fragments/dead-letters/' + path(browsing.backend, browsing.queue), 'dead-letters-panel');
      document.body.dataset.refreshedAt = String(Date.now());
    } catch (error) { say('Refresh failed: ' + error.message, true); }
  }
  async function post(url, body) {
    const response = await fetch(base + url, {
      method: 'POST', credentials: 'same-origin',
      headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body || {}),
    });
    const result = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(result.message || response.statusText);
    return result;
  }
  document.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const { action, backend, queue, messageId } = button.dataset;
    try {
      if (action === 'browse') {
        browsing = { backend, queue };
      } else if (action === 'pause' || action === 'resume') {
        await post('/api/consumers/' + path(backend, queue) + '/' + action);
        say((action === 'pause' ? 'Paused ' : 'Resumed ') + queue + '.');
      } else if (action === 'redrive-one' || action === 'redrive-all') {
        const what = action === 'redrive-one' ? 'message ' + messageId : 'every message';
        if (!window.confirm('Move ' + what + ' from ' + queue + ' back to the queue it came from?')) return;
        button.disabled = true;
        const result = await post('/api/dead-letters/' + path(backend, queue) + '/redrive', action === 'redrive-one' ? { messageId } : {});
        say('Moved ' + result.moved + ' message(s) back from ' + queue + '; ' + result.skipped + ' left there, ' + result.failed + ' failed.', result.failed > 0);
      }
      await refresh(true);
    } catch (error) { say(action + ' failed: ' + error.message, true); }
  });
  setInterval(() => refresh(false), refreshMs);
})();`;

export const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1d2330; background: #f6f7f9; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 0; }
section { background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: 16px; margin: 16px 0; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eceef2; vertical-align: top; }
th { font-weight: 600; color: #4a5263; font-size: 12px; text-transform: uppercase; letter-spacing: .02em; }
.num { text-align: right; font-variant-numeric: tabular-nums; } .muted { color: #6b7385; } .small { font-size: 12px; }
tr.attention td:first-child { border-left: 3px solid #d9822b; }
.state { padding: 1px 6px; border-radius: 10px; font-size: 12px; background: #eceef2; }
.state-running { background: #dff3e4; color: #1e6b34; } .state-paused { background: #fff1d6; color: #8a5a00; }
.bad { color: #b3261e; } .ok { color: #1e6b34; }
button { font: inherit; padding: 3px 10px; border: 1px solid #b9c0cc; border-radius: 6px; background: #fff; cursor: pointer; margin-right: 6px; }
button:hover { background: #f0f2f5; } button:disabled { opacity: .5; cursor: default; }
.panel-head { display: flex; align-items: center; justify-content: space-between; }
pre { margin: 0; white-space: pre-wrap; word-break: break-all; max-width: 420px; font-size: 12px; }
#status { min-height: 1.4em; margin: 8px 0 0; }
`;

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Only this script and this stylesheet run; the page talks to its own origin and nothing else. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
