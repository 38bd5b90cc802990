import type { ClassConstructor } from 'class-transformer';
import {
  getMetadataStorage,
  ValidationTypes,
  type MetadataStorage,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';

type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];

/** One property's checks, resolved once from the class's decorators. */
interface PropertyCheck {
  property: string;
  /** `@IsOptional` and `@ValidateIf`: all true, or the property is not validated. */
  conditions: ((object: object, value: unknown) => boolean)[];
  rules: Rule[];
}

interface Rule {
  meta: ValidationMetadata;
  constraints: ValidatorConstraintInterface[];
}

/** Whether an instance passes every rule of its class; false means "ask class-validator". */
export type Acceptor = (instance: object) => boolean;

const acceptors = new WeakMap<ClassConstructor<object>, Acceptor | null>();

/**
 * A yes/no answer to "does class-validator accept this instance" (with whitelist,
 * forbidNonWhitelisted, forbidUnknownValues, no groups), computed from the same decorator metadata
 * and the same constraint instances, without class-validator's per-call work (a filter over every
 * class's metadata, grouping, error objects). The rules stay in the DTO's decorators; this only
 * runs them. A payload it does not accept goes to `validateSync`, which words the error, so the
 * error messages are class-validator's own. Null when the class uses something it does not model
 * (nested or async validation, `@IsDefined`): such classes always take the full path.
 */
export function acceptorFor(cls: ClassConstructor<object>): Acceptor | null {
  let acceptor = acceptors.get(cls);
  if (acceptor === undefined) {
    acceptor = compile(cls);
    acceptors.set(cls, acceptor);
  }
  return acceptor;
}

function compile(cls: ClassConstructor<object>): Acceptor | null {
  const storage = getMetadataStorage();
  // The same query class-validator's executor makes with these options (no groups, always false).
  const metas = storage.getTargetValidationMetadatas(cls, undefined as unknown as string, false, false);
  if (metas.length === 0) return null; // forbidUnknownValues: refused, in class-validator's words
  const grouped = storage.groupByPropertyName(metas);
  const checks: PropertyCheck[] = [];
  for (const [property, own] of Object.entries(grouped)) {
    if (own.length === 0) return null;
    const check: PropertyCheck = { property, conditions: [], rules: [] };
    for (const meta of own) {
      if (meta.type === ValidationTypes.WHITELIST) continue;
      if (meta.type === ValidationTypes.CONDITIONAL_VALIDATION) {
        check.conditions.push(meta.constraints[0] as (object: object, value: unknown) => boolean);
        continue;
      }
      if (meta.type !== ValidationTypes.CUSTOM_VALIDATION) return null;
      const found = storage.getTargetValidatorConstraints(meta.constraintCls);
      if (found.some((c) => c.async)) return null;
      check.rules.push({ meta, constraints: found.map((c) => c.instance) });
    }
    checks.push(check);
  }
  const allowed = new Set(Object.keys(grouped));
  return (instance) => {
    for (const key of Object.keys(instance)) if (!allowed.has(key)) return false;
    for (const check of checks) if (!passes(instance, check)) return false;
    return true;
  };
}

function passes(object: object, { property, conditions, rules }: PropertyCheck): boolean {
  const value = (object as Record<string, unknown>)[property];
  for (const condition of conditions) if (!condition(object, value)) return true;
  for (const { meta, constraints } of rules) {
    if (meta.validateIf && !meta.validateIf(object, value)) continue;
    const args: ValidationArguments = {
      targetName: object.constructor.name,
      property: meta.propertyName,
      object,
      value,
      constraints: meta.constraints,
    };
    const each = meta.each && (Array.isArray(value) || value instanceof Set || value instanceof Map);
    for (const constraint of constraints) {
      if (!each) {
        if (constraint.validate(value, args) !== true) return false;
        continue;
      }
      const items: unknown[] = value instanceof Map ? [...value.values()] : [...(value as Iterable<unknown>)];
      for (const item of items) if (constraint.validate(item, args) !== true) return false;
    }
  }
  return true;
}
