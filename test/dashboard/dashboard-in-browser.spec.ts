import 'reflect-metadata';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Browser, Page } from 'playwright-core';
import { DASHBOARD_TOKEN as TOKEN } from '../fixtures/dashboard-token';
import { SampleServer, expectOnQueue, expectRow } from './dashboard-harness';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '../../.ci/artifacts/dashboard');

if (!existsSync(CHROMIUM)) {
  console.warn(`SKIPPED: the dashboard browser spec needs Chromium at ${CHROMIUM} (Debian: apt-get install -y chromium; .ci/chromium.sh does it).`);
}
const describeInBrowser = existsSync(CHROMIUM) ? describe : describe.skip;

describeInBrowser('the dashboard, driven by headless Chromium, over the sample app', () => {
  const server = new SampleServer();
  let url: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    console.log(`dashboard screenshots: ${ARTIFACTS}`);
    url = await server.start();
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    const context = await browser.newContext({ extraHTTPHeaders: { authorization: TOKEN }, viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server.stop();
  });

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });

  it('shows the counts, lists a poisoned message with its reason, redrives it, and refuses strangers', async () => {
    // A message whose payload is no object: the payments consumer dead-letters it at once, with the reason.
    await server.sqs.send(
      new SendMessageCommand({
        QueueUrl: await server.queueUrl('sample-payments'),
        MessageBody: JSON.stringify({ Message: '5' }),
        MessageAttributes: {
          manifest: { DataType: 'String', StringValue: 'orders.order-placed' },
          serializer_id: { DataType: 'Number', StringValue: '1' },
          melange_message_id: { DataType: 'String', StringValue: 'poisoned-order-1' },
        },
      }),
    );
    await server.waitForVisible('sample-payments-dlq', 1);

    await page.goto(url);
    await expectRow(page, 'sample-payments-dlq', { visible: '1', inFlight: '0' });
    await expectRow(page, 'sample-payments', { visible: '0' });
    await page.locator('tr[data-queue="sample-payments"] [data-cell="consumer"]').getByText('running').waitFor();
    await shot('1-queues.png');

    // Paused, the consumer leaves the redriven message on its queue for the table to show.
    await page.locator('tr[data-queue="sample-payments"] button[data-action="pause"]').click();
    await page.locator('tr[data-queue="sample-payments"] [data-cell="consumer"]').getByText('paused').waitFor();

    await page.locator('tr[data-queue="sample-payments-dlq"] button[data-action="browse"]').click();
    const row = page.locator('#dead-letters tr[data-message-id="poisoned-order-1"]');
    await row.waitFor();
    await expect(row.locator('[data-cell="reason"]').textContent()).resolves.toContain('is a number');
    await shot('2-dead-letter-browser.png');

    await row.locator('button[data-action="redrive-one"]').click();
    // Whatever the page reports once the move ends, so a failure shows what it said instead.
    await page.locator('#status').filter({ hasText: /Moved|failed/i }).waitFor();
    await expect(page.locator('#status').textContent()).resolves.toContain('Moved 1 message(s) back from sample-payments-dlq');
    await page.locator('#dead-letters-empty').waitFor();
    await expectRow(page, 'sample-payments-dlq', { visible: '0' });
    await expectOnQueue(page, 'sample-payments', 1);
    await shot('3-after-redrive.png');

    // Without the guard's credentials: the page, its fragments and its actions are refused.
    const stranger = await browser.newPage();
    const refused = await stranger.goto(url);
    expect(refused?.status()).toBe(403);
    await stranger.screenshot({ path: join(ARTIFACTS, '4-refused.png') });
    await stranger.close();
    for (const [method, path] of [['GET', '/fragments/queues'], ['GET', '/api/queues'], ['POST', '/api/consumers/sqs/sample-payments/resume']] as const) {
      const response = await fetch(url + path, { method, headers: { 'x-melange-dashboard': '1' } });
      expect({ path, status: response.status }).toEqual({ path, status: 403 });
    }

    await page.locator('tr[data-queue="sample-payments"] button[data-action="resume"]').click();
    await page.locator('tr[data-queue="sample-payments"] [data-cell="consumer"]').getByText('running').waitFor();
  }, 120_000);
});
