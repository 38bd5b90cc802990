/**
 * A jest transform for the few ESM-only packages the services use (openid-client and its
 * dependencies oauth4webapi and jose). Node 20.19+ lets the built CommonJS `require()` them, but
 * jest's module runtime does not, so under jest they are compiled to CommonJS with esbuild — the
 * same code, loaded the way every other module of the test run is.
 */
/* eslint-disable */
const { transformSync } = require('esbuild');

module.exports = {
  process(source, path) {
    const { code, map } = transformSync(source, {
      format: 'cjs',
      target: 'node20',
      loader: 'js',
      sourcefile: path,
      sourcemap: 'external',
    });
    return { code, map };
  },
};
