import { countTokens } from '../llm/tokenizer';
import type { StoredMessage } from '../sessions/session.model';
import type { LimitsRepository } from './limits.repository';
import { durationText, QuotaService, utcDay } from './quota.service';

function serviceWith(dailyTokenQuota: number) {
  const added: Array<[string, string, number]> = [];
  const repository = { addTokens: async (user: string, day: string, n: number) => void added.push([user, day, n]) };
  const config = { dailyTokenQuota } as ConstructorParameters<typeof QuotaService>[1];
  return { service: new QuotaService(repository as unknown as LimitsRepository, config), added };
}

const answer = (extra: Partial<StoredMessage>): StoredMessage => ({
  id: 'm_1',
  role: 'assistant',
  content: 'Here is a short answer.',
  created_at: Date.now(),
  ...extra,
});

describe('QuotaService.recordAnswer', () => {
  it('counts prompt + completion tokens as the model reported them', async () => {
    const { service, added } = serviceWith(1000);
    await service.recordAnswer('u1', answer({ usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 } }));
    expect(added).toEqual([['u1', utcDay(Date.now()), 150]]);
  });

  it('without reported usage (a stopped answer), counts the context sent and the text with the tokenizer', async () => {
    const { service, added } = serviceWith(1000);
    await service.recordAnswer('u1', answer({ usage: null, status: 'interrupted', context: { messages: 3, tokens: 85 } }));
    expect(added).toEqual([['u1', utcDay(Date.now()), 85 + countTokens('Here is a short answer.')]]);
  });

  it('counts nothing while the quota is off', async () => {
    const { service, added } = serviceWith(0);
    await service.recordAnswer('u1', answer({ usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
    expect(added).toEqual([]);
  });
});

describe('durationText', () => {
  it('reads as seconds, minutes, or hours and minutes', () => {
    expect(durationText(45)).toBe('45 s');
    expect(durationText(61)).toBe('2 min');
    expect(durationText(3 * 3600 + 5 * 60)).toBe('3 h 5 min');
  });
});
