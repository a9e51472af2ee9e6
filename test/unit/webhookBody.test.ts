import { webhookBody } from '../../src/activities/notify/webhookBody';
import { actCommand } from '../../src/model/digest';

const input = { label: 'auth', event: 'escalated' as const, message: 'build auth needs a decision (verification-failed)\nto act: nightshift override auth --note "…"' };

describe('webhook bodies (NIGHTSHIFT_WEBHOOK_FORMAT)', () => {
  it('unset: text and content together, as before', () => {
    expect(webhookBody(input, undefined)).toEqual({ text: `[nightshift] escalated: ${input.message}`, content: `[nightshift] escalated: ${input.message}`, event: 'escalated', label: 'auth' });
  });
  it('json: the fields', () => {
    expect(webhookBody(input, 'json')).toEqual({ event: 'escalated', label: 'auth', message: input.message, text: `[nightshift] escalated: ${input.message}` });
  });
  it('slack: text and a mrkdwn section', () => {
    const body = webhookBody(input, 'Slack');
    expect(body.text).toBe(`[nightshift] escalated: ${input.message}`);
    expect(body.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: `*nightshift escalated* · \`auth\`\n${input.message}` } }]);
  });
  it('discord: content only, at most 2000 characters', () => {
    const body = webhookBody({ ...input, message: 'x'.repeat(5000) }, 'discord');
    expect(Object.keys(body)).toEqual(['content']);
    expect((body.content as string).length).toBe(2000);
  });
  it('refuses an unknown format, naming the variable', () => {
    expect(() => webhookBody(input, 'teams')).toThrow('NIGHTSHIFT_WEBHOOK_FORMAT=teams is not one of json, slack, discord');
  });
});

describe('the command to act', () => {
  it('depends on why the build waits', () => {
    expect(actCommand('auth', 'verification-failed')).toMatch(/^nightshift override auth --note "…"/);
    expect(actCommand('auth', 'checkpoint-review')).toMatch(/^nightshift resume auth/);
    expect(actCommand('auth', 'setup-failed')).toMatch(/^nightshift retry auth/);
  });
});
