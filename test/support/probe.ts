import { Body, Controller, Get, Inject, Module, Post } from '@nestjs/common';
import { IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { Public } from '../../server/identity/public.decorator';
import { REDIS_CLIENT } from '../../server/redis/redis.constants';
import type { Store } from '../../server/redis/store';

export class ProbeBody {
  @IsString()
  @MaxLength(5)
  name: string;

  @IsInt()
  @Min(1)
  @Max(10)
  count: number;
}

/**
 * Routes that exist only in tests, to see how the app's global pipe and filter treat a validation
 * failure, an unexpected exception and a store call while Redis is away.
 */
@Public()
@Controller('api/probe')
export class ProbeController {
  constructor(@Inject(REDIS_CLIENT) private readonly store: Store) {}

  @Get('boom')
  failUnexpectedly(): never {
    throw new TypeError('internal detail that must not leak: password=hunter2');
  }

  @Post('echo')
  echoProbe(@Body() body: ProbeBody): ProbeBody {
    return body;
  }

  @Get('store')
  async readProbeKey(): Promise<{ value: string | null }> {
    return { value: await this.store.get('nono-probe') };
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}

/** Headers for /api calls: a guest token when the identity routes exist, none before that. */
export async function authHeaders(baseUrl: string): Promise<Record<string, string>> {
  const res = await fetch(`${baseUrl}/api/auth/guest`, { method: 'POST' });
  if (res.status === 404) return {};
  const body = (await res.json()) as { token?: string };
  if (!res.ok || !body.token) throw new Error(`POST /api/auth/guest answered ${res.status}: ${JSON.stringify(body)}`);
  return { Authorization: `Bearer ${body.token}` };
}

/** Polls until `check` resolves true, or fails after `ms`. */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 5000, every = 50): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, every));
  }
}
