import { ListQueuesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { ListTopicsCommand } from '@aws-sdk/client-sns';
import { SNSClient } from '@aws-sdk/client-sns';
import type { DeclarationPlan } from '../../lib';
import { CREDENTIALS, REGION, queueUrl } from '../support/sqs';
import { SampleCli, parseJson } from './cli-harness';

describe('nestjs-melange declare --dry-run, on the sample app', () => {
  const cli = new SampleCli();
  beforeAll(() => cli.start());
  afterAll(() => cli.stop());

  it('prints the plan and changes nothing; declare applies it; a drift shows as a diff', async () => {
    const endpoint = await cli.sqs.config.endpoint!();
    const sns = new SNSClient({ region: REGION, credentials: CREDENTIALS, endpoint: `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}` });
    const broker = async () => ({
      queues: (await cli.sqs.send(new ListQueuesCommand({}))).QueueUrls ?? [],
      topics: (await sns.send(new ListTopicsCommand({}))).Topics ?? [],
    });
    try {
      const dryRun = await cli.run('declare', '--dry-run');
      expect(dryRun.code).toBe(0);
      expect(dryRun.stdout).toContain('+ queue sample-payments-dlq');
      expect(dryRun.stdout).toContain('+ queue sample-payments');
      expect(dryRun.stdout).toContain('+ topic sample-orders');
      expect(dryRun.stdout).toContain('+ subscription sample-orders → sample-payments');
      expect(dryRun.stdout).toMatch(/\+ queue-policy sample-payments\n\s+Policy:\n(\s+\+ .*\n)+/);
      expect(dryRun.stdout).toMatch(/change\(s\) would be made/);
      expect(await broker()).toEqual({ queues: [], topics: [] });

      const json = parseJson<{ applied: boolean; plans: DeclarationPlan[] }>(await cli.run('declare', '--dry-run', '--json'));
      expect(json.applied).toBe(false);
      expect(json.plans[0]!.changes.every((change) => change.action === 'create')).toBe(true);
      expect(await broker()).toEqual({ queues: [], topics: [] });

      const declare = await cli.run('declare');
      expect(declare.code).toBe(0);
      expect(declare.stdout).toMatch(/Applied \d+ change\(s\)/);
      expect((await broker()).queues).toHaveLength(6);

      const again = await cli.run('declare', '--dry-run');
      expect(again.stdout).toContain('Nothing to change');

      // Someone changed a queue by hand and replaced its access policy: the plan shows both.
      const payments = await queueUrl(cli.sqs, 'sample-payments');
      await cli.sqs.send(new SetQueueAttributesCommand({ QueueUrl: payments, Attributes: { VisibilityTimeout: '45', Policy: '{"Version":"2012-10-17","Statement":[]}' } }));
      const drift = await cli.run('declare', '--dry-run');
      expect(drift.stdout).toContain('~ queue sample-payments');
      expect(drift.stdout).toContain('VisibilityTimeout: 45 → 30');
      expect(drift.stdout).toMatch(/~ queue-policy sample-payments\n\s+Policy:\n/);
      expect(drift.stdout).toMatch(/\+\s+"Sid": "MelangeTopic[0-9a-f]+"/);
      expect(drift.stdout).toMatch(/-\s+"Statement": \[\]/);
      const after = await cli.sqs.send(new ListQueuesCommand({}));
      expect(after.QueueUrls).toHaveLength(6);
    } finally {
      sns.destroy();
    }
  }, 240_000);
});
