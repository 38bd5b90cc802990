import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { WebhookErrors } from './webhooks.errors';

/**
 * JSON bodies only. The app also parses urlencoded forms (for no route of the contract); a script
 * posting `text=…` as a form, or plain text, is told to send JSON instead of having its fields
 * read some other way. Guards run before the body is validated, so this answer comes first.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<Request>();
    if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) throw WebhookErrors.notJson();
    return true;
  }
}
