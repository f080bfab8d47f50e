import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsPageCursor } from '../../sessions/session-validation';

export const SEARCH_QUERY_MAX = 200;
export const SEARCH_LIMIT_MAX = 50;
export const SEARCH_LIMIT_DEFAULT = 20;

const EMPTY_MESSAGE = 'q must not be empty: give the words to search for, e.g. ?q=recipe';
const LIMIT_MESSAGE = `limit must be a whole number between 1 and ${SEARCH_LIMIT_MAX}`;

export class SearchQueryDto {
  /**
   * Words to find in my sessions' titles and messages, in any language and any case, accents
   * ignored. The last word also matches longer words it begins ("pho" finds "photo") unless the
   * query ends with a space. 1-200 characters.
   */
  @IsDefined({ message: EMPTY_MESSAGE })
  @IsString({ message: 'q must be a string: the words to search for' })
  @Matches(/\S/, { message: EMPTY_MESSAGE })
  @MaxLength(SEARCH_QUERY_MAX, { message: `q must be at most ${SEARCH_QUERY_MAX} characters` })
  @ApiProperty({ minLength: 1, maxLength: SEARCH_QUERY_MAX, example: 'cafe recip' })
  q: string;

  /** `next_cursor` of the previous page, passed back unchanged (with the same q). */
  @IsOptional()
  @IsPageCursor()
  cursor?: string;

  /** Results per page (1-50, default 20). */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: LIMIT_MESSAGE })
  @Min(1, { message: LIMIT_MESSAGE })
  @Max(SEARCH_LIMIT_MAX, { message: LIMIT_MESSAGE })
  @ApiProperty({ type: 'integer', minimum: 1, maximum: SEARCH_LIMIT_MAX, default: SEARCH_LIMIT_DEFAULT, required: false })
  limit?: number;
}

export class SearchResultDto {
  /** The session that matched. */
  @ApiProperty({ example: 's_3q2bH1kVvS0mJ8e5c9dWfA' })
  session_id: string;

  /** The session's title (display name). */
  title: string;

  /**
   * The matching message to jump to: the newest one holding the most query words among the
   * session's latest messages; null when only the title matched.
   */
  @ApiProperty({ type: String, nullable: true })
  message_id: string | null;

  /**
   * An excerpt of that message (or of the title) as HTML: each matching word wrapped in
   * `<mark>…</mark>`, all other text HTML-escaped, so it holds no other markup; "…" where cut.
   */
  @ApiProperty({ example: 'Try the <mark>café</mark> on the corner…' })
  snippet: string;
}

export class SearchPageDto {
  /** Best first: sessions holding more of the query's words, then those active most recently. */
  results: SearchResultDto[];

  /** Pass back as `cursor` (with the same q) for the next page; null on the last page. */
  @ApiProperty({ type: String, nullable: true })
  next_cursor: string | null;
}
