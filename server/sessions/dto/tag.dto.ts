import { ApiProperty } from '@nestjs/swagger';

export class TagCountDto {
  /** The tag, as stored (trimmed, lower case). */
  @ApiProperty({ example: 'work' })
  tag: string;

  /** How many of my sessions carry it, archived ones included. */
  @ApiProperty({ type: 'integer', minimum: 1, example: 3 })
  count: number;
}

export class TagListDto {
  /** Every tag on my sessions, most used first, then by name. */
  tags: TagCountDto[];
}
