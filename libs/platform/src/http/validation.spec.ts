import { IsString } from 'class-validator';
import { AppError } from './app-error';
import { MAX_PAYLOAD_DEPTH, validatePayload } from './validation';

class NameDto {
  @IsString()
  name!: string;
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof AppError ? err.code : `not an AppError: ${String(err)}`;
  }
}

describe('validatePayload', () => {
  it('accepts a well-formed payload and returns the DTO', () => {
    expect(validatePayload(NameDto, { name: 'general' })).toBeInstanceOf(NameDto);
  });

  it('refuses a payload nested 8,000 deep as VALIDATION instead of overflowing the stack', () => {
    expect(codeOf(() => validatePayload(NameDto, { name: nested(8000) }))).toBe('VALIDATION');
  });

  it('lets nesting up to the limit reach the validator, which names the field', () => {
    expect(() => validatePayload(NameDto, { name: nested(MAX_PAYLOAD_DEPTH - 2) })).toThrow(/name/);
  });

  it('refuses non-objects and unknown fields', () => {
    expect(codeOf(() => validatePayload(NameDto, 'general'))).toBe('VALIDATION');
    expect(codeOf(() => validatePayload(NameDto, [1]))).toBe('VALIDATION');
    expect(codeOf(() => validatePayload(NameDto, { name: 'x', admin: true }))).toBe('VALIDATION');
  });
});
