import { Transform } from 'class-transformer';

const lower = (v: unknown): unknown => (typeof v === 'string' ? v.toLowerCase() : v);

/**
 * Lower-cases a UUID (or each UUID of an array) as the payload is read, so services compare ids as
 * Postgres prints them and never lower-case by hand. Validation (`@IsUUID`) still judges the value.
 */
export const LowerCaseId = () =>
  Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value.map(lower) : lower(value)));
