import { ApiProperty } from '@nestjs/swagger';
import { IsOptionalField, IsPersonaKey } from '../../sessions/session-validation';

export class ImportQueryDto {
  /** Persona key (GET /api/personas) every imported session gets. Absent: an export of this server keeps each session's persona where it exists here; anything else gets the default persona. */
  @IsOptionalField()
  @IsPersonaKey()
  @ApiProperty({ required: false, example: 'default' })
  persona?: string;
}

/** What became of one conversation of the file. */
export class ImportedConversationDto {
  /** Position in the file, from 1. */
  @ApiProperty({ type: 'integer', minimum: 1 })
  position: number;

  /** The conversation's title (the new session's display name). */
  title: string;

  /** The format it was read as. */
  @ApiProperty({ enum: ['nono', 'chatgpt', 'claude'], enumName: 'ImportSource' })
  source: 'nono' | 'chatgpt' | 'claude';

  /** imported: a new session; skipped: nothing was stored (see reason). */
  @ApiProperty({ enum: ['imported', 'skipped'], enumName: 'ImportOutcome' })
  outcome: 'imported' | 'skipped';

  /** The new session, or for an earlier import of the same conversation the session it became; null when nothing holds it. */
  @ApiProperty({ type: String, nullable: true })
  session_id: string | null;

  /** Messages stored in the session. */
  @ApiProperty({ type: 'integer', minimum: 0 })
  messages: number;

  /** Messages of the conversation not stored: other branches than the one shown, system and tool messages. */
  @ApiProperty({ type: 'integer', minimum: 0 })
  omitted: number;

  /** Why it was skipped (already imported, a limit reached); null when imported. */
  @ApiProperty({ type: String, nullable: true })
  reason: string | null;
}

/**
 * The outcome of an import: counts, then conversations of the file in order: the first 100
 * whatever their outcome, and after them the first 100 skipped ones (a large file's report stays small).
 */
export class ImportReportDto {
  /** ChatGPT, Claude or nono (this server's export); "mixed" when the file held several. */
  format: string;

  @ApiProperty({ type: 'integer', minimum: 0 })
  imported: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  skipped: number;

  /** Messages stored, over all imported sessions. */
  @ApiProperty({ type: 'integer', minimum: 0 })
  messages: number;

  conversations: ImportedConversationDto[];

  /** Conversations of the file not listed in `conversations` (counted above). */
  @ApiProperty({ type: 'integer', minimum: 0 })
  unlisted: number;
}
