import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { IsOptionalField } from '../../sessions/session-validation';

export const EXPORT_FORMATS = ['json', 'markdown', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class SessionExportQueryDto {
  /** json (lossless, versioned: SessionExportDto), markdown (the active path, for reading) or csv (a row per message). Default json. */
  @IsOptionalField()
  @IsIn(EXPORT_FORMATS, { message: `format must be one of ${EXPORT_FORMATS.join(', ')}` })
  @ApiProperty({ enum: EXPORT_FORMATS, enumName: 'ExportFormat', required: false })
  format?: ExportFormat;
}
