import 'reflect-metadata';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConsumerRegistry, MelangeModule, MessageConsumer, OnAnyMessage } from '../../lib';
import { MelangeDashboardModule } from '../../lib/dashboard';

@Injectable()
@MessageConsumer('dashboard-header-queue')
class AnyConsumer {
  @OnAnyMessage()
  any(): void {}
}

/** A cross-site form can post to the page's origin with the visitor's cookies, but cannot set a header. */
describe('the dashboard\'s actions', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    @Module({ imports: [MelangeModule.forRoot({}), MelangeDashboardModule.forRoot({ public: true })], providers: [AnyConsumer] })
    class PublicApp {}
    app = await NestFactory.create(PublicApp, { logger: false });
    await app.listen(0, '127.0.0.1');
    base = `${await app.getUrl()}/melange`;
  });

  afterAll(() => app.close());

  it('refuse a request without the dashboard header and act with it', async () => {
    const pause = `${base}/api/consumers/default/dashboard-header-queue/pause`;
    const form = await fetch(pause, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    expect(form.status).toBe(403);
    expect(app.get(ConsumerRegistry).status('dashboard-header-queue').state).toBe('running');

    const fromPage = await fetch(pause, { method: 'POST', headers: { 'x-melange-dashboard': '1' } });
    expect(fromPage.status).toBe(200);
    expect(await fromPage.json()).toEqual({ queue: 'dashboard-header-queue', state: 'paused' });

    const page = await fetch(base);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'sha256-/);
    expect(await page.text()).toContain('dashboard-header-queue');
  });
});
