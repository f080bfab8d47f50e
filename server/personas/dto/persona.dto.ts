import { ApiProperty } from '@nestjs/swagger';
import type { Persona } from '../persona-catalogue';

export class NumberRangeDto {
  min: number;
  max: number;
}

/** What a session of this persona may override with PATCH /api/sessions/{id} `settings`; absent parameters cannot be changed. */
export class PersonaOverridesDto {
  /** Allowed model names. */
  model?: string[];
  temperature?: NumberRangeDto;
  top_p?: NumberRangeDto;
  /** Whole numbers within this range. */
  max_tokens?: NumberRangeDto;
}

export class PersonaDto {
  /** Stable key used when creating a session, e.g. "technical_support". */
  key: string;
  /** Display name, e.g. "Technical Support". */
  name: string;
  /** One line on what the persona is for. */
  description: string;
  /** The system prompt sent first in every request to the model. */
  system_prompt: string;
  /** Model this persona uses; absent means the server default (OPENAI_MODEL). */
  model?: string;
  /** Sampling temperature, 0-2. */
  temperature?: number;
  /** Upper bound on the answer's length, in tokens. */
  @ApiProperty({ type: 'integer', required: false })
  max_tokens?: number;
  /** Nucleus sampling, 0-1. */
  top_p?: number;
  /** The parameters a session may override, with their limits (empty: none). */
  allow_overrides: PersonaOverridesDto;
}

export class PersonaListDto {
  personas: PersonaDto[];
  /** Key of the persona new sessions get when none is chosen. */
  default_persona: string;
}

export function mapPersona(persona: Persona): PersonaDto {
  const dto: PersonaDto = {
    key: persona.key,
    name: persona.name,
    description: persona.description,
    system_prompt: persona.system_prompt,
    allow_overrides: persona.allow_overrides ?? {},
  };
  if (persona.model !== undefined) dto.model = persona.model;
  if (persona.temperature !== undefined) dto.temperature = persona.temperature;
  if (persona.max_tokens !== undefined) dto.max_tokens = persona.max_tokens;
  if (persona.top_p !== undefined) dto.top_p = persona.top_p;
  return dto;
}
