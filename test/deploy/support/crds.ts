import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import type { K8sObject, SchemaError } from './k8s';

/**
 * Strict validation of custom resources against their upstream CustomResourceDefinitions, for the
 * kinds no pinned model in node_modules covers: the Prometheus operator's ServiceMonitor and
 * PrometheusRule (monitoring.coreos.com/v1). The CRDs under support/crds/ are the upstream files of
 * prometheus-operator v0.93.0 (example/prometheus-operator-crd/, commit f8fafd4), re-indented by
 * prettier (the same YAML document); replace them to move to another operator version.
 *
 * The API server prunes fields a structural schema does not declare (or, with strict field
 * validation, rejects them), so a typo in a CR is silently lost. This check turns every object
 * node of the schema that declares its properties (and does not say
 * `x-kubernetes-preserve-unknown-fields`) into `additionalProperties: false`, so the typo fails
 * here instead. CEL rules (`x-kubernetes-validations`) are not evaluated.
 */
export const CRD_DIR = join(__dirname, 'crds');

type Schema = Record<string, any>;

/** The part of ObjectMeta a manifest in this repository may set; anything else is an error. */
const OBJECT_META: Schema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253 },
    namespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
    labels: {
      type: 'object',
      additionalProperties: {
        type: 'string',
        pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$',
        maxLength: 63,
      },
    },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

/** An openAPIV3Schema of a CRD as a strict JSON schema (see the module comment). */
export function strictSchema(node: Schema): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'description' || k.startsWith('x-kubernetes-') || k === 'nullable') continue;
    if (k === 'properties')
      out.properties = Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, strictSchema(s)]));
    else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object'))
      out[k] = strictSchema(v as Schema);
    else if (k === 'anyOf' || k === 'oneOf' || k === 'allOf') out[k] = (v as Schema[]).map(strictSchema);
    else out[k] = v;
  }
  if (node['x-kubernetes-int-or-string']) {
    // `anyOf: [integer, string]` in the CRD, or just the marker: either form is accepted.
    delete out.type;
    if (!out.anyOf) out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (node.nullable && typeof out.type === 'string') out.type = [out.type, 'null'];
  const open = node['x-kubernetes-preserve-unknown-fields'] === true || 'additionalProperties' in node;
  if (node.type === 'object' && !open) out.additionalProperties = false;
  return out;
}

/**
 * The CRDs' patterns are Go (RE2) regular expressions; the one construct they use that JavaScript
 * lacks is a leading `(?i)` (case-insensitive), which becomes the `i` flag.
 */
const goRegExp = Object.assign(
  (pattern: string, flags: string): RegExp =>
    pattern.includes('(?i)')
      ? new RegExp(pattern.replace('(?i)', ''), `${flags}i`)
      : new RegExp(pattern, flags),
  { code: 'goRegExp' },
);

interface Crd {
  group: string;
  kind: string;
  versions: Map<string, ValidateFunction>;
}

let loaded: Crd[] | undefined;

/** The CRDs of support/crds/, each version's schema compiled strictly. */
export function crds(): Crd[] {
  if (loaded) return loaded;
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, code: { regExp: goRegExp } });
  addFormats(ajv);
  loaded = readdirSync(CRD_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const crd = parse(readFileSync(join(CRD_DIR, f), 'utf8')) as Schema;
      const versions = new Map<string, ValidateFunction>();
      for (const v of crd.spec.versions as Schema[]) {
        const schema = strictSchema(v.schema.openAPIV3Schema as Schema);
        schema.properties.metadata = OBJECT_META;
        schema.required = [...new Set([...(schema.required ?? []), 'apiVersion', 'kind', 'metadata'])];
        versions.set(`${crd.spec.group}/${v.name}`, ajv.compile(schema));
      }
      return { group: crd.spec.group as string, kind: crd.spec.names.kind as string, versions };
    });
  return loaded;
}

/** Whether a pinned CRD in support/crds/ declares this object's group (so it is validated here). */
export function isCustomResource(o: Pick<K8sObject, 'apiVersion'>): boolean {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  return crds().some((c) => c.group === group);
}

/** Validates custom resources strictly against the pinned CRDs; an unknown kind or version is an error. */
export function validateCustomResources(objects: K8sObject[]): SchemaError[] {
  const errors: SchemaError[] = [];
  for (const o of objects) {
    const object = `${o.kind}/${o.metadata?.name ?? '?'}`;
    const validate = crds()
      .find((c) => c.kind === o.kind)
      ?.versions.get(o.apiVersion);
    if (!validate) {
      errors.push({ object, message: `no pinned schema for ${o.apiVersion} ${o.kind}` });
      continue;
    }
    if (!validate(o))
      for (const e of validate.errors ?? []) {
        const extra = e.keyword === 'additionalProperties' ? ` '${String(e.params.additionalProperty)}'` : '';
        errors.push({ object, message: `${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}` });
      }
  }
  return errors;
}
