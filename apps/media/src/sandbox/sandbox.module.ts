import { Module } from '@nestjs/common';
import { ParsersService } from './parsers.service';

/** Parsers of untrusted bytes (type detection, image decoding), run in worker threads under budgets. */
@Module({
  providers: [ParsersService],
  exports: [ParsersService],
})
export class SandboxModule {}
