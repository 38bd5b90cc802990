import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { isCustomResource, validateCustomResources } from './crds';
import { repoPath, ROOT } from './repo';

/** A rendered Kubernetes object, loosely typed: tests dig into it by path. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: any;
}

export const OVERLAYS_DIR = repoPath('k8s', 'overlays');

/** Every overlay directory under k8s/overlays (each one must render and validate). */
export function overlayNames(): string[] {
  return readdirSync(OVERLAYS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(OVERLAYS_DIR, d.name, 'kustomization.yaml')))
    .map((d) => d.name)
    .sort();
}

/** `kubectl kustomize <dir>` (kubectl's built-in kustomize), parsed. Throws on render errors. */
export function render(dir: string): K8sObject[] {
  const out = execFileSync('kubectl', ['kustomize', dir], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 32 * 1024 * 1024,
  });
  return parseYamlStream(out);
}

export function parseYamlStream(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new Error(doc.errors.map((e) => e.message).join('\n'));
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

export function get(objects: K8sObject[], kind: string, name: string): K8sObject {
  const o = find(objects, kind, name);
  if (!o) throw new Error(`${kind}/${name} is not rendered`);
  return o;
}

/** Pod spec of a workload (Deployment, StatefulSet, Job), else undefined. */
export function podSpecOf(o: K8sObject): any {
  return ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind)
    ? o.spec?.template?.spec
    : undefined;
}

/**
 * The module of the kubernetes-models / @kubernetes-models/gateway-api packages that declares a
 * kind: `apps/v1` Deployment -> kubernetes-models/apps/v1/Deployment, core `v1` Service ->
 * kubernetes-models/v1/Service. Undefined for a kind no pinned schema covers (which the strict
 * check reports as an error: an unknown kind cannot be validated, so it does not pass).
 */
export function modelModule(apiVersion: string, kind: string): string | undefined {
  const pkg = apiVersion.startsWith('gateway.networking.')
    ? '@kubernetes-models/gateway-api'
    : 'kubernetes-models';
  const rel = `${apiVersion}/${kind}.d.ts`;
  return existsSync(join(ROOT, 'node_modules', pkg, rel)) ? `${pkg}/${apiVersion}/${kind}` : undefined;
}

export interface SchemaError {
  object: string;
  message: string;
}

function label(o: K8sObject): string {
  return `${o.kind}/${o.metadata?.name ?? '?'}`;
}

const declarationCache = new Map<string, ts.SourceFile>();

/**
 * STRICT structural check against the pinned Kubernetes API types (kubernetes-models 5.1.0) and
 * Gateway API types (@kubernetes-models/gateway-api 2.0.0, standard and experimental fields).
 *
 * The packages' own validate() ignores unknown fields (their OpenAPI-derived schemas do not set
 * additionalProperties: false; the API server would prune or, with strict field validation,
 * reject them). So each object is type-checked by the TypeScript compiler as an object literal of
 * the kind's declared interface: excess-property checking rejects every unknown field at any
 * depth (a typo such as `replicass`), and wrong types, missing required fields and wrong enum
 * literals fail too. Offline and deterministic.
 */
export function strictTypeCheck(objects: K8sObject[]): SchemaError[] {
  const errors: SchemaError[] = [];
  const imports: string[] = [];
  const decls: string[] = [];
  objects.forEach((o, i) => {
    const mod = modelModule(o.apiVersion, o.kind);
    if (!mod) {
      errors.push({ object: label(o), message: `no pinned schema for ${o.apiVersion} ${o.kind}` });
      return;
    }
    imports.push(`import type { I${o.kind} as T${i} } from '${mod}';`);
    decls.push(`export const o${i}: T${i} = ${JSON.stringify(o, null, 1)};`);
  });
  const header = imports.join('\n') + '\n';
  const lineOwner: number[] = [];
  let line = imports.length;
  const indexOfDecl: number[] = [];
  objects.forEach((o, i) => {
    if (modelModule(o.apiVersion, o.kind)) indexOfDecl.push(i);
  });
  decls.forEach((d, j) => {
    const n = d.split('\n').length;
    for (let k = 0; k < n; k++) lineOwner[line + k] = indexOfDecl[j];
    line += n;
  });
  const source = header + decls.join('\n') + '\n';

  const fileName = join(ROOT, 'test', 'deploy', '__k8s_strict_check__.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
    lib: ['lib.es2022.d.ts'],
  };
  const host = ts.createCompilerHost(options, true);
  const original = {
    getSourceFile: host.getSourceFile,
    fileExists: host.fileExists,
    readFile: host.readFile,
  };
  host.getSourceFile = (name, lang, onError, create) => {
    if (name === fileName) return ts.createSourceFile(name, source, lang, true);
    // The model and lib declarations never change during a run: parse each once per process.
    let sf = declarationCache.get(name);
    if (!sf) {
      sf = original.getSourceFile.call(host, name, lang, onError, create);
      if (sf) declarationCache.set(name, sf);
    }
    return sf;
  };
  host.fileExists = (name) => name === fileName || original.fileExists.call(host, name);
  host.readFile = (name) => (name === fileName ? source : original.readFile.call(host, name));
  const program = ts.createProgram([fileName], options, host);
  const sf = program.getSourceFile(fileName)!;
  const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
  for (const d of diags) {
    const pos = d.start !== undefined ? sf.getLineAndCharacterOfPosition(d.start) : undefined;
    const owner = pos ? lineOwner[pos.line] : undefined;
    errors.push({
      object: owner !== undefined ? label(objects[owner]) : 'imports',
      message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    });
  }
  return errors;
}

/**
 * The packages' own JSON-schema validation (formats, patterns, enums, numeric ranges the types
 * cannot express). The packages are ESM-only, which jest's module system does not load, so it runs
 * in a child node process (test/deploy/support/validate-models.mjs).
 */
export function schemaValidate(objects: K8sObject[]): SchemaError[] {
  const r = spawnSync(process.execPath, [join(__dirname, 'validate-models.mjs')], {
    cwd: ROOT,
    input: JSON.stringify(objects),
    encoding: 'utf8',
    maxBuffer: 32 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`validate-models.mjs failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as SchemaError[];
}

/** Both checks; custom resources of a pinned CRD (support/crds.ts) against that CRD instead. */
export function validateStrictly(objects: K8sObject[]): SchemaError[] {
  const custom = objects.filter(isCustomResource);
  const builtIn = objects.filter((o) => !isCustomResource(o));
  return [...strictTypeCheck(builtIn), ...schemaValidate(builtIn), ...validateCustomResources(custom)];
}

/** Decoded data of a Secret (data is base64, stringData plain). */
export function secretData(secret: K8sObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((secret.data ?? {}) as Record<string, string>))
    out[k] = Buffer.from(v, 'base64').toString('utf8');
  Object.assign(out, secret.stringData ?? {});
  return out;
}

/**
 * The environment a container of a rendered workload gets: envFrom ConfigMaps/Secrets, then env
 * (value, secretKeyRef, configMapKeyRef), as the kubelet builds it. Throws on a reference to a
 * missing object or key (unless marked optional).
 */
export function containerEnv(objects: K8sObject[], container: any): Record<string, string> {
  const env: Record<string, string> = {};
  const lookup = (kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> => {
    const o = get(objects, kind, name);
    return kind === 'Secret' ? secretData(o) : ((o.data ?? {}) as Record<string, string>);
  };
  for (const src of container.envFrom ?? []) {
    if (src.configMapRef) Object.assign(env, lookup('ConfigMap', src.configMapRef.name));
    if (src.secretRef) Object.assign(env, lookup('Secret', src.secretRef.name));
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined)
      env[e.name] = String(e.value).replace(
        /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
        (_m: string, v: string) => env[v] ?? '',
      );
    else if (e.valueFrom?.secretKeyRef || e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.secretKeyRef ?? e.valueFrom.configMapKeyRef;
      const kind = e.valueFrom.secretKeyRef ? 'Secret' : 'ConfigMap';
      const data = lookup(kind, ref.name);
      if (!(ref.key in data)) {
        if (ref.optional) continue;
        throw new Error(`${kind} ${ref.name} has no key ${ref.key} (env ${e.name})`);
      }
      env[e.name] = data[ref.key];
    }
  }
  return env;
}
