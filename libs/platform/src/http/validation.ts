import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync } from 'class-validator';
import { acceptorFor } from './accepts';
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

/** Deeper than any contract payload (the deepest is 3); past it, a payload is refused unread. */
export const MAX_PAYLOAD_DEPTH = 16;

/**
 * Refuses objects nested deeper than MAX_PAYLOAD_DEPTH, without recursion: class-transformer and
 * class-validator recurse and an 8,000-deep body would overflow the stack (an INTERNAL, not a 400).
 */
export function assertPayloadDepth(value: unknown): void {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= MAX_PAYLOAD_DEPTH) {
      throw new AppError('VALIDATION', `payload is nested deeper than ${MAX_PAYLOAD_DEPTH} levels`);
    }
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
}

class DepthCheckedValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    assertPayloadDepth(value);
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

/** HTTP: unknown fields and wrong types are a 400 VALIDATION naming the field. */
export function createValidationPipe(): ValidationPipe {
  return new DepthCheckedValidationPipe({
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
  assertPayloadDepth(payload);
  const instance = plainToInstance(cls, payload);
  // Hot socket commands: the same rules without class-validator's per-call overhead. Anything it
  // does not accept is judged (and worded) by class-validator itself.
  if (acceptorFor(cls)?.(instance)) return instance;
  const errors = validateSync(instance, VALIDATOR_OPTIONS);
  if (errors.length > 0) throw new AppError('VALIDATION', describe(errors).join('; '));
  return instance;
}
