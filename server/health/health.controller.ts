import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Inject } from '@nestjs/common';
import { llmConfig, LlmConfig } from '../config/config';
import { RedisHealthIndicator } from '../redis/redis.health';

/**
 * `/health` (the seed's URL) is readiness with detail: 200 when the store answers, 503 when not.
 * `/health/live` says only that the process serves requests; `/health/ready` is readiness for probes.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(llmConfig.KEY) private readonly llm: LlmConfig,
  ) {}

  private model() {
    const indicator = this.indicators.check('model');
    // A missing model is not "down": everything but chat works, and chat says what to set.
    return indicator.up({
      configured: Boolean(this.llm.model || this.llm.baseUrl),
      ...(this.llm.model ? { default_model: this.llm.model } : {}),
      ...(this.llm.model || this.llm.baseUrl ? {} : { hint: 'Set OPENAI_MODEL (and OPENAI_API_KEY or OPENAI_BASE_URL) to enable chat.' }),
    });
  }

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Status of the store and the model configuration (503 when not ready)' })
  getHealth(): Promise<HealthCheckResult> {
    return this.health.check([() => this.redis.check(), () => this.model()]);
  }

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process is up and serving requests' })
  getLiveness(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the store answers (503 when not)' })
  getReadiness(): Promise<HealthCheckResult> {
    return this.health.check([() => this.redis.check()]);
  }
}
