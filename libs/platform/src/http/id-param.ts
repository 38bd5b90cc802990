import { Injectable, Param, type PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { AppError } from './app-error';

/**
 * A path id that is not a UUID names nothing: 404, exactly like an id that does not exist. A valid
 * one is lower-cased, as the DTOs' ids are (@LowerCaseId), so services never normalize ids.
 */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isUUID(value)) throw new AppError('NOT_FOUND', 'Not found');
    return value.toLowerCase();
  }
}

/** `@IdParam('id')`: a UUID path parameter, 404 when malformed. */
export const IdParam = (name: string) => Param(name, ParseIdPipe);
