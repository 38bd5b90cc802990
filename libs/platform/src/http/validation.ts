import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppError } from './app-error';

const VALIDATOR_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  stopAtFirstError: true,
} as const;

function describe(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) =>
      m.startsWith(e.property) ? m : `${path}: ${m}`,
    );
    return [...own, ...describe(e.children ?? [], path)];
  });
}

/** HTTP: unknown fields and wrong types are a 400 VALIDATION naming the field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    ...VALIDATOR_OPTIONS,
    transform: true,
    exceptionFactory: (errors) => new AppError('VALIDATION', describe(errors).join('; ') || 'Invalid input'),
  });
}

/**
 * Sockets: validate a payload by hand (Nest's pipes would answer with a bare "Internal server
 * error"). Throws AppError('VALIDATION') for anything that is not an object of the right shape.
 */
export function validatePayload<T extends object>(cls: ClassConstructor<T>, payload: unknown): T {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new AppError('VALIDATION', 'payload must be an object');
  }
  const instance = plainToInstance(cls, payload);
  const errors = validateSync(instance, VALIDATOR_OPTIONS);
  if (errors.length > 0) throw new AppError('VALIDATION', describe(errors).join('; '));
  return instance;
}
