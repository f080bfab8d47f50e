import { ArgumentMetadata, BadRequestException } from '@nestjs/common';
import { MessageCreateDto } from '../chat/dto/message-create.dto';
import { MessageListQueryDto } from '../sessions/dto/message.dto';
import { apiValidationPipe } from './validation';

describe('apiValidationPipe', () => {
  const query: ArgumentMetadata = { type: 'query', metatype: MessageListQueryDto };
  const parse = (pipe: ReturnType<typeof apiValidationPipe>, value: Record<string, unknown>) =>
    pipe.transform(Object.assign(Object.create(null) as object, value), query) as Promise<MessageListQueryDto>;

  it('gives a valid query as its DTO, with numbers converted', async () => {
    const dto = await parse(apiValidationPipe(), { limit: '20' });
    expect(dto).toBeInstanceOf(MessageListQueryDto);
    expect(dto.limit).toBe(20);
  });

  it('rejects an invalid query every time, also after a valid one', async () => {
    const pipe = apiValidationPipe();
    await parse(pipe, { limit: '20' });
    for (let i = 0; i < 3; i++) {
      await expect(parse(pipe, { limit: 'lots' })).rejects.toBeInstanceOf(BadRequestException);
      await expect(parse(pipe, { limit: '20', extra: '1' })).rejects.toBeInstanceOf(BadRequestException);
    }
  });

  it('names each problem once, also when several constraints of a field share a message', async () => {
    const error = (await parse(apiValidationPipe(), { limit: 'abc', extra: '1' }).catch((e: BadRequestException) => e)) as BadRequestException;
    expect(error).toBeInstanceOf(BadRequestException);
    expect((error.getResponse() as { message: string[] }).message).toEqual([
      'property extra should not exist',
      'limit must be a whole number between 1 and 200',
    ]);
  });

  it('says a field is missing or of the wrong type without listing its other rules', async () => {
    const body: ArgumentMetadata = { type: 'body', metatype: MessageCreateDto };
    const messagesFor = async (value: unknown) =>
      ((await (apiValidationPipe().transform(value, body) as Promise<unknown>).catch((e: BadRequestException) => e)) as BadRequestException).getResponse();
    expect(await messagesFor({})).toMatchObject({ message: ['content is required: the message text, 1-32000 characters'] });
    expect(await messagesFor({ content: 123 })).toMatchObject({ message: ['content must be text'] });
    expect(await messagesFor({ content: '  ' })).toMatchObject({ message: ['content must not be empty'] });
    expect(await messagesFor({ content: 'x'.repeat(32_001) })).toMatchObject({ message: ['content must be at most 32000 characters'] });
    expect(await messagesFor([{ content: 'hi' }])).toMatchObject({ message: 'Request body must be a JSON object, not an array' });
  });
});
