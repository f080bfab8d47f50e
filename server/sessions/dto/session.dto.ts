import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsNumber, IsObject, IsString, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { OVERRIDABLE, OverridableName } from '../../personas/persona-overrides';
import { StoredSession, TITLE_SOURCES, TitleSource } from '../session.model';
import {
  IsBooleanQuery,
  IsDisplayName,
  IsOptionalField,
  IsPageCursor,
  IsPageLimit,
  IsPersonaKey,
  IsSessionMetadata,
  IsSessionTag,
  IsSessionTags,
} from '../session-validation';

/** Absent: unchanged; null: remove the override. */
const IsOverride = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined && value !== null);

/**
 * Overrides to set (a value), remove (null: the persona's own value applies again) or keep (absent).
 * Which parameters may be set, and within which limits, is the persona's `allow_overrides`
 * (GET /api/personas).
 */
export class SessionSettingsUpdateDto {
  /** One of the persona's allowed models. */
  @IsOverride()
  @IsString({ message: 'settings.model must be a string (a model name the persona allows)' })
  @MaxLength(200, { message: 'settings.model must be at most 200 characters' })
  @ApiProperty({ type: String, nullable: true, required: false, example: 'gpt-4o-mini' })
  model?: string | null;

  /** Sampling temperature within the persona's limits. */
  @IsOverride()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'settings.temperature must be a number' })
  @ApiProperty({ type: Number, nullable: true, required: false, example: 0.4 })
  temperature?: number | null;

  /** Nucleus sampling within the persona's limits. */
  @IsOverride()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'settings.top_p must be a number' })
  @ApiProperty({ type: Number, nullable: true, required: false, example: 0.9 })
  top_p?: number | null;

  /** Upper bound on each answer's length in tokens, within the persona's limits. */
  @IsOverride()
  @IsInt({ message: 'settings.max_tokens must be a whole number' })
  @ApiProperty({ type: 'integer', nullable: true, required: false, example: 1000 })
  max_tokens?: number | null;
}

/** The session's overrides of its persona's model parameters; absent ones use the persona's values. */
export class SessionSettingsDto {
  model?: string;
  temperature?: number;
  top_p?: number;
  @ApiProperty({ type: 'integer', required: false })
  max_tokens?: number;
}

/** Running totals of the session's answers, kept when messages are cleared, regenerated or removed. */
export class SessionUsageDto {
  /** Tokens sent to the model (prompt), summed over every answer. */
  @ApiProperty({ type: 'integer', minimum: 0 })
  prompt_tokens: number;
  /** Tokens the model wrote, summed over every answer. */
  @ApiProperty({ type: 'integer', minimum: 0 })
  completion_tokens: number;
  @ApiProperty({ type: 'integer', minimum: 0 })
  total_tokens: number;
  /** Answers stored (complete, interrupted or failed). */
  @ApiProperty({ type: 'integer', minimum: 0 })
  answers: number;
}

const METADATA_SCHEMA = {
  type: Object,
  additionalProperties: true,
  example: { topic: 'wellness' },
};

export class SessionCreateDto {
  /**
   * Name shown in the session list: trimmed, at most 200 characters, no control characters.
   * Absent or empty: "Chat · <day> <month> <hh:mm>" (UTC time of creation).
   */
  @IsOptionalField()
  @IsDisplayName()
  @ApiProperty({ required: false, maxLength: 200, example: 'Trip planning' })
  display_name?: string;

  /** Persona key from GET /api/personas. Absent: the catalogue's default persona. */
  @IsOptionalField()
  @IsPersonaKey()
  @ApiProperty({ required: false, example: 'technical_support' })
  persona?: string;

  /** Any JSON object (at most 4 KB serialized), kept with the session. */
  @IsOptionalField()
  @IsSessionMetadata()
  @ApiProperty({ ...METADATA_SCHEMA, required: false })
  metadata?: Record<string, unknown>;
}

export class SessionUpdateDto {
  /** New display name (same rules as on create; must not be empty). */
  @IsOptionalField()
  @IsDisplayName()
  @ApiProperty({ required: false, maxLength: 200 })
  display_name?: string;

  /** Persona key from GET /api/personas; later answers use it. */
  @IsOptionalField()
  @IsPersonaKey()
  persona?: string;

  /** true: the session never expires; false: the sliding TTL applies again from now. */
  @IsOptionalField()
  @IsBoolean({ message: 'pinned must be true or false' })
  pinned?: boolean;

  /** Replaces the metadata object (at most 4 KB serialized). */
  @IsOptionalField()
  @IsSessionMetadata()
  @ApiProperty({ ...METADATA_SCHEMA, required: false })
  metadata?: Record<string, unknown>;

  /**
   * Overrides of the persona's model parameters, within its `allow_overrides`; checked against the
   * new persona when `persona` changes too.
   */
  @IsOptionalField()
  @IsObject({ message: 'settings must be an object, e.g. {"temperature": 0.4}' })
  @ValidateNested()
  @Type(() => SessionSettingsUpdateDto)
  settings?: SessionSettingsUpdateDto;

  /**
   * Replaces the tags: at most 10 labels of 1-32 characters, stored trimmed and in lower case
   * (duplicates count once); [] removes them all.
   */
  @IsOptionalField()
  @IsSessionTags()
  tags?: string[];

  /** true: the session leaves the main list (see `archived` on GET /api/sessions) and keeps its history, pin and expiry. */
  @IsOptionalField()
  @IsBoolean({ message: 'archived must be true or false' })
  archived?: boolean;
}

export class SessionListQueryDto {
  /** Sessions per page (1-200, default 50). */
  @IsPageLimit()
  limit?: number;

  /** `next_cursor` of the previous page, passed back unchanged (with the same filters). */
  @IsOptionalField()
  @IsPageCursor()
  cursor?: string;

  /** Only sessions with this tag (compared trimmed, in lower case). */
  @IsOptionalField()
  @IsSessionTag()
  tag?: string;

  /** Only sessions with this persona key. */
  @IsOptionalField()
  @IsPersonaKey()
  persona?: string;

  /** true: only archived sessions; false or absent: only those not archived. */
  @IsBooleanQuery('archived')
  archived?: boolean;

  /** true: only pinned sessions; false: only the others; absent: both, pinned first. */
  @IsBooleanQuery('pinned')
  pinned?: boolean;
}

export class SessionDto {
  /** Random, unguessable id (`s_` + 22 characters). */
  @ApiProperty({ example: 's_3q2bH1kVvS0mJ8e5c9dWfA' })
  session_id: string;

  /** Name shown in the session list. */
  display_name: string;

  /**
   * Deprecated, same value as display_name: the v0 API called the session's name `user_id`.
   * It is not the caller's identity (see GET /api/me).
   */
  @ApiProperty({ deprecated: true })
  user_id: string;

  /** Persona key (see GET /api/personas). */
  persona: string;

  /** When the session was created (ISO 8601). */
  @ApiProperty({ format: 'date-time' })
  created_at: string;

  /** Last message, clear or creation (ISO 8601); the list is ordered by it, newest first. */
  @ApiProperty({ format: 'date-time' })
  last_activity: string;

  /** Messages in the history. */
  @ApiProperty({ type: 'integer', minimum: 0 })
  message_count: number;

  /** Pinned sessions never expire and are listed first. */
  pinned: boolean;

  /** Archived sessions are listed only with `archived=true`. */
  archived: boolean;

  /** Labels, trimmed and in lower case. */
  tags: string[];

  /**
   * Where display_name comes from: `default` (made at creation), `auto` (a title made after the
   * first answer), `user` (chosen by the person; no title is made then).
   */
  @ApiProperty({ enum: TITLE_SOURCES, enumName: 'TitleSource' })
  title_source: TitleSource;

  /** When the session will be removed unless used again (ISO 8601); null when pinned or when sessions never expire. */
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expires_at: string | null;

  /** The metadata object given on create or update. */
  @ApiProperty(METADATA_SCHEMA)
  metadata: Record<string, unknown>;

  settings: SessionSettingsDto;

  usage: SessionUsageDto;
}

/** The session after PATCH. */
export class SessionUpdatedDto extends SessionDto {
  /**
   * Overrides removed because the session's persona (the new one, after a switch) does not allow
   * them, or not within its limits; usually empty unless the persona changed.
   */
  @ApiProperty({ enum: OVERRIDABLE, enumName: 'OverridableParameter', isArray: true })
  dropped_settings: OverridableName[];
}

/**
 * A page of the caller's sessions. A superset of the v0 API's `{sessions, count}`: each item also
 * carries the v0 fields (`user_id` = display name), and `next_cursor` leads to older sessions.
 */
export class SessionListDto {
  /** Newest activity first. */
  sessions: SessionDto[];

  /** Number of sessions in this page. */
  @ApiProperty({ type: 'integer', minimum: 0 })
  count: number;

  /** Pass as `cursor` to get the next page; null on the last page. */
  @ApiProperty({ type: String, nullable: true })
  next_cursor: string | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function mapSession(session: StoredSession): SessionDto {
  return {
    session_id: session.id,
    display_name: session.display_name,
    user_id: session.display_name,
    persona: session.persona,
    created_at: iso(session.created_at),
    last_activity: iso(session.last_activity),
    message_count: session.message_count,
    pinned: session.pinned,
    archived: session.archived,
    tags: session.tags,
    title_source: session.title_source,
    expires_at: session.expires_at === null ? null : iso(session.expires_at),
    metadata: session.metadata,
    settings: { ...session.settings },
    usage: { ...session.usage, total_tokens: session.usage.prompt_tokens + session.usage.completion_tokens },
  };
}
