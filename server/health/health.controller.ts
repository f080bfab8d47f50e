import { Controller, Get, Inject, Logger, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
  HealthIndicatorService,
} from '@nestjs/terminus';
import type { Response } from 'express';
import { llmConfig, LlmConfig } from '../config/config';
import { Public } from '../identity/public.decorator';
import { RedisHealthIndicator } from '../redis/redis.health';

/**
 * `/health` (the seed's URL) is readiness with detail: 200 when the store answers, 503 when not.
 * `/health/live` says only that the process serves requests; `/health/ready` is readiness for probes.
 * Both 200 and 503 carry the standard Terminus report (`status`, `info`, `error`, `details`).
 */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  private readonly logger = new Logger('Health');
  private lastReady?: boolean;

  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(llmConfig.KEY) private readonly llm: LlmConfig,
  ) {}

  /** Whether chat can answer: a default model and a way to reach a model server (as LlmService checks). */
  private model() {
    const { model, apiKey, baseUrl } = this.llm;
    const reachable = Boolean(apiKey || baseUrl);
    const hint = !model
      ? 'Set OPENAI_MODEL (and OPENAI_API_KEY or OPENAI_BASE_URL) to enable chat.'
      : !reachable
        ? 'Set OPENAI_API_KEY, or OPENAI_BASE_URL for a local OpenAI-compatible server, to enable chat.'
        : undefined;
    // A missing model is not "down": everything but chat works, and chat says what to set.
    return this.indicators.check('model').up({
      configured: Boolean(model) && reachable,
      ...(model ? { default_model: model } : {}),
      ...(hint ? { hint } : {}),
    });
  }

  /**
   * Runs the checks and answers with the report itself, also on 503 (the global error filter would
   * otherwise replace it with a generic error body). Logs only when readiness changes, not per probe.
   */
  private async report(res: Response, checks: HealthIndicatorFunction[]): Promise<HealthCheckResult> {
    let result: HealthCheckResult;
    try {
      result = await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      result = error.getResponse() as HealthCheckResult;
      res.status(503);
    }
    if (checks.length > 0) this.noteReadiness(result);
    return result;
  }

  private noteReadiness(result: HealthCheckResult): void {
    const ready = result.status === 'ok';
    if (ready === this.lastReady) return;
    if (ready) this.logger.log('Ready: every check is up');
    else this.logger.warn(`Not ready: ${JSON.stringify(result.error ?? {})}`);
    this.lastReady = ready;
  }

  @Get()
  @HealthCheck()
  @ApiOperation({
    summary: 'Status of the store and the model configuration (503 when not ready)',
    description: 'For people and dashboards: each check with its state. Needs no token.',
  })
  getHealth(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    return this.report(res, [() => this.redis.check(), () => this.model()]);
  }

  @Get('live')
  @HealthCheck()
  @ApiOperation({
    summary: 'Liveness: the process is up and serving requests',
    description: 'For a liveness probe: 200 whenever the process answers, whatever the store does. Needs no token.',
  })
  getLiveness(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    return this.report(res, []);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: the store answers (503 when not)',
    description: 'For a readiness probe or load balancer: send traffic only while this answers 200. Needs no token.',
  })
  getReadiness(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    return this.report(res, [() => this.redis.check()]);
  }
}
