import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { ExportService } from './export.service';
import { ImportRecordsRepository } from './import-records.repository';
import { ImportService } from './import.service';
import { TransferController } from './transfer.controller';
import { TransferStore } from './transfer-store';

/** Routes whose request body the handler reads itself (as a stream), past the JSON body parser and its limit. */
export const RAW_BODY_ROUTES: ReadonlyArray<{ method: string; path: string }> = [{ method: 'POST', path: '/api/import' }];

/** Export (one session or all) and import (own, ChatGPT, Claude). Exports TransferStore for share links. */
@Module({
  imports: [SessionsModule],
  controllers: [TransferController],
  providers: [TransferStore, ImportRecordsRepository, ImportService, ExportService],
  exports: [TransferStore],
})
export class TransferModule {}
