// Runs kubernetes-models' own validate() (compiled JSON schemas of the Kubernetes API and the
// Gateway API) over the objects given as a JSON array on stdin; prints [{object, message}] as JSON.
// A child process because the packages are ESM-only (see support/k8s.ts schemaValidate).
import { readFileSync } from 'node:fs';

const objects = JSON.parse(readFileSync(0, 'utf8'));
const errors = [];
for (const o of objects) {
  // kustomize wraps long base64 values at 70 columns; the API server's decoder (Go's
  // base64.StdEncoding) ignores those newlines, the package's "byte" format does not.
  if (o.kind === 'Secret' && o.data) {
    for (const k of Object.keys(o.data)) o.data[k] = String(o.data[k]).replace(/[\r\n]/g, '');
  }
  const label = `${o.kind}/${o.metadata?.name ?? '?'}`;
  const pkg = o.apiVersion.startsWith('gateway.networking.')
    ? '@kubernetes-models/gateway-api'
    : 'kubernetes-models';
  let mod;
  try {
    mod = await import(`${pkg}/${o.apiVersion}/${o.kind}`);
  } catch {
    errors.push({ object: label, message: `no pinned schema for ${o.apiVersion} ${o.kind}` });
    continue;
  }
  const Model = mod[o.kind];
  try {
    new Model(o).validate();
  } catch (err) {
    errors.push({ object: label, message: String(err.message ?? err) });
  }
}
process.stdout.write(JSON.stringify(errors));
