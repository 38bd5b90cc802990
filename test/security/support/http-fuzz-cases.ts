import type { RawAnswer } from './raw-http';

/** A server under fuzz: where it listens and which GET proves it still answers. */
export interface Target {
  name: string;
  url: string;
  health: string;
  /** The local front door (routes to every service, serves the web client). */
  door?: boolean;
  /** Front door only: a directory beside the web root whose name starts with the root's. */
  sibling?: string;
  token?: string;
}

export interface HostileRequest {
  name: string;
  /** Which targets it applies to (default: all). */
  only?: string[];
  /**
   * `refused`: a 4xx, or a closed connection (Node's parser refuses the bytes).
   * `harmless`: any answer but a 5xx (e.g. an absolute-form URL serving the page), no leak.
   */
  expect?: 'refused' | 'harmless';
  build(t: Target): {
    bytes: string | Buffer;
    opts?: { waitMs?: number; halfClose?: boolean; reset?: boolean };
  };
}

/** A POST route of the target that parses a JSON body. */
function jsonPath(t: Target): string {
  if (t.name === 'gateway') return '/channels';
  if (t.name === 'media') return '/files/uploads';
  return '/auth/login';
}

/** A route of the target with a path parameter. */
function paramPath(t: Target, value: string): string {
  if (t.name === 'gateway') return `/channels/${value}`;
  if (t.name === 'media') return `/files/${value}`;
  if (t.name === 'auth') return `/auth/users/${value}/ban`;
  return `/${value}`;
}

const H = 'Host: fuzz.test\r\n';
const auth = (t: Target) => (t.token ? `Authorization: Bearer ${t.token}\r\n` : '');
const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\n${H}${extra}Connection: close\r\n\r\n`;
const post = (t: Target, body: string, headers = 'Content-Type: application/json\r\n') =>
  `POST ${jsonPath(t)} HTTP/1.1\r\n${H}${auth(t)}${headers}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
const upgrade = (path: string, headers: string, method = 'GET') =>
  `${method} ${path} HTTP/1.1\r\n${H}Connection: Upgrade\r\n${headers}\r\n`;
const WS =
  'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
const EIO_WS = '/socket.io/?EIO=4&transport=websocket';

function nested(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

export const HOSTILE_REQUESTS: HostileRequest[] = [
  // URLs and percent-encodings
  { name: 'GET /%E0 (what ended `npm start`)', build: () => ({ bytes: get('/%E0') }) },
  { name: 'GET /%E0%A4%A (truncated UTF-8 sequence)', build: () => ({ bytes: get('/%E0%A4%A') }) },
  { name: 'GET /%zz (not hex)', build: () => ({ bytes: get('/%zz/%') }) },
  { name: 'path parameter %E0', build: (t) => ({ bytes: get(paramPath(t, '%E0'), auth(t)) }) },
  {
    name: 'path parameter %C0%AF (overlong UTF-8 "/")',
    build: (t) => ({ bytes: get(paramPath(t, '%C0%AF'), auth(t)) }),
  },
  { name: 'path parameter %00', build: (t) => ({ bytes: get(paramPath(t, '%00'), auth(t)) }) },
  {
    // Query values are read leniently (an unparseable limit is the default): any answer but a 5xx.
    name: 'query with %E0 and %zz',
    expect: 'harmless',
    build: (t) => ({
      bytes: get(`${t.name === 'media' ? '/files/x' : '/channels'}?limit=%E0&q=%zz&%=%`, auth(t)),
    }),
  },
  {
    name: 'query with 3,000 parameters',
    expect: 'harmless',
    build: (t) => ({ bytes: get(`/channels?${'a=1&'.repeat(3000)}`, auth(t)) }),
  },
  { name: 'overlong URL (20 KB)', build: () => ({ bytes: get(`/${'a'.repeat(20_000)}`) }) },
  {
    name: 'URL with raw bytes 0x80-0xFF',
    build: () => ({
      bytes: Buffer.from(`GET /\xff\xfe\x80 HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, 'latin1'),
    }),
  },
  { name: 'URL with a space and a tab', build: () => ({ bytes: `GET /a b\tc HTTP/1.1\r\n${H}\r\n` }) },
  {
    name: 'path traversal with %2e%2e%2f',
    expect: 'harmless',
    build: (t) => ({ bytes: get(`/%2e%2e/%2e%2e/${t.sibling ?? 'etc'}/secret.txt`) }),
  },
  {
    name: 'path traversal into a sibling directory sharing the root prefix',
    only: ['front door'],
    expect: 'harmless',
    build: (t) => ({ bytes: get(`/..%2f${t.sibling}%2fsecret.txt`) }),
  },
  {
    name: 'absolute-form URL',
    expect: 'harmless',
    build: () => ({ bytes: get('http://evil.example/auth/login') }),
  },
  {
    name: 'asterisk-form OPTIONS *',
    expect: 'harmless',
    build: () => ({ bytes: `OPTIONS * HTTP/1.1\r\n${H}Connection: close\r\n\r\n` }),
  },
  // Request line and headers
  { name: 'HTTP/0.9 request line', build: () => ({ bytes: 'GET /\r\n\r\n', opts: { halfClose: true } }) },
  { name: 'HTTP/9.9', build: () => ({ bytes: `GET / HTTP/9.9\r\n${H}\r\n` }) },
  {
    name: 'TLS ClientHello on the plain port',
    build: () => ({ bytes: Buffer.from('1603010200010001fc0303', 'hex') }),
  },
  { name: 'no Host header', build: () => ({ bytes: 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n' }) },
  {
    name: 'two Host headers',
    expect: 'harmless',
    build: () => ({ bytes: `GET /nope HTTP/1.1\r\n${H}${H}Connection: close\r\n\r\n` }),
  },
  {
    name: 'oversized header (20 KB)',
    build: () => ({ bytes: get('/', `X-Big: ${'a'.repeat(20_000)}\r\n`) }),
  },
  {
    name: '3,000 headers',
    build: () => ({ bytes: get('/', Array.from({ length: 3000 }, (_, i) => `X-H${i}: v\r\n`).join('')) }),
  },
  { name: 'header name with a space', build: () => ({ bytes: get('/', 'Bad Header: x\r\n') }) },
  { name: 'header with a control character', build: () => ({ bytes: get('/', 'X-A: b\x01c\r\n') }) },
  { name: 'header line without a colon', build: () => ({ bytes: get('/', 'NoColonHere\r\n') }) },
  { name: 'bare LF line endings', build: () => ({ bytes: `GET / HTTP/1.1\n${H.trim()}\nX-A: b\n\n` }) },
  { name: 'obsolete line folding', build: () => ({ bytes: get('/', 'X-A: b\r\n c\r\n') }) },
  {
    name: 'two different Content-Length headers',
    build: (t) => ({
      bytes: `POST ${jsonPath(t)} HTTP/1.1\r\n${H}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
    }),
  },
  {
    name: 'Content-Length with Transfer-Encoding: chunked (smuggling)',
    build: (t) => ({
      bytes: `POST ${jsonPath(t)} HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /x HTTP/1.1\r\n${H}\r\n`,
    }),
  },
  {
    name: 'negative Content-Length',
    build: (t) => ({ bytes: `POST ${jsonPath(t)} HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n` }),
  },
  {
    name: 'Content-Length of 10^20',
    build: (t) => ({
      bytes: `POST ${jsonPath(t)} HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 100000000000000000000\r\n\r\n{}`,
    }),
  },
  {
    name: 'bad chunk size',
    build: (t) => ({
      bytes: `POST ${jsonPath(t)} HTTP/1.1\r\n${H}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    }),
  },
  {
    name: 'Transfer-Encoding: gzip, identity',
    build: (t) => ({
      bytes: `POST ${jsonPath(t)} HTTP/1.1\r\n${H}Transfer-Encoding: gzip, identity\r\n\r\n`,
    }),
  },
  {
    name: 'Expect: 100-continue with an oversized body',
    build: (t) => ({
      bytes: `POST ${jsonPath(t)} HTTP/1.1\r\n${H}${auth(t)}Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 900000000\r\nConnection: close\r\n\r\n`,
    }),
  },
  {
    name: 'Expect: something-else',
    build: (t) => ({
      bytes: `POST ${jsonPath(t)} HTTP/1.1\r\n${H}Expect: teapot\r\nContent-Length: 2\r\n\r\n{}`,
    }),
  },
  {
    name: 'Authorization: Bearer of 8 KB garbage',
    build: () => ({ bytes: get('/channels', `Authorization: Bearer ${'A'.repeat(8000)}\r\n`) }),
  },
  {
    name: 'Authorization: Basic and Bearer twice',
    build: () => ({
      bytes: get('/channels', 'Authorization: Basic Og==\r\nAuthorization: Bearer x.y.z\r\n'),
    }),
  },
  {
    name: 'X-Request-Id with CR-free junk',
    expect: 'harmless',
    build: () => ({ bytes: get('/nope', `X-Request-Id: ${'<script>'.repeat(50)}\r\n`) }),
  },
  {
    name: 'sticky cookie naming gateway 10^21',
    expect: 'harmless',
    build: () => ({ bytes: get('/nope', 'Cookie: chat_gw=1000000000000000000000\r\n') }),
  },
  // Methods
  { name: 'unknown method FOO', build: () => ({ bytes: `FOO / HTTP/1.1\r\n${H}\r\n` }) },
  { name: 'lowercase method get', build: () => ({ bytes: `get / HTTP/1.1\r\n${H}\r\n` }) },
  {
    name: 'CONNECT host:443',
    build: () => ({ bytes: `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n` }),
  },
  {
    name: 'TRACE',
    build: (t) => ({ bytes: `TRACE ${jsonPath(t)} HTTP/1.1\r\n${H}Connection: close\r\n\r\n` }),
  },
  {
    name: 'PROPFIND (WebDAV)',
    build: () => ({ bytes: `PROPFIND / HTTP/1.1\r\n${H}Connection: close\r\n\r\n` }),
  },
  { name: 'DELETE /', build: () => ({ bytes: `DELETE / HTTP/1.1\r\n${H}Connection: close\r\n\r\n` }) },
  {
    name: 'POST to the web client',
    only: ['front door'],
    build: () => ({
      bytes: `POST /index.html HTTP/1.1\r\n${H}Content-Length: 2\r\nConnection: close\r\n\r\n{}`,
    }),
  },
  // Bodies
  { name: 'truncated JSON', build: (t) => ({ bytes: post(t, '{"username":') }) },
  { name: 'JSON with a trailing comma and a comment', build: (t) => ({ bytes: post(t, '{"a":1,/* x */}') }) },
  { name: 'JSON that is a bare string', build: (t) => ({ bytes: post(t, '"hello"') }) },
  { name: 'JSON array body', build: (t) => ({ bytes: post(t, '[1,2,3]') }) },
  {
    name: 'JSON with __proto__',
    build: (t) => ({ bytes: post(t, '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}') }),
  },
  { name: 'JSON nested 10,000 deep', build: (t) => ({ bytes: post(t, nested(10_000)) }) },
  { name: 'JSON nested 20 deep (over the 16 budget)', build: (t) => ({ bytes: post(t, nested(20)) }) },
  {
    name: 'JSON array nested 30,000 deep',
    build: (t) => ({ bytes: post(t, '['.repeat(30_000) + ']'.repeat(30_000)) }),
  },
  {
    name: 'invalid UTF-8 in a JSON string',
    build: (t) => ({
      bytes: Buffer.concat([
        Buffer.from(post(t, '{"username":"ab"}').replace('"ab"', '"\u0000\u0000"'), 'latin1'),
      ]),
    }),
  },
  {
    name: 'body larger than the JSON limit (200 KB)',
    build: (t) => ({ bytes: post(t, `{"username":"${'a'.repeat(200_000)}"}`) }),
  },
  {
    name: 'text/plain body',
    build: (t) => ({ bytes: post(t, 'username=a&password=b', 'Content-Type: text/plain\r\n') }),
  },
  {
    name: 'charset=utf-7 JSON',
    build: (t) => ({ bytes: post(t, '{}', 'Content-Type: application/json; charset=utf-7\r\n') }),
  },
  {
    name: 'Content-Encoding: gzip with garbage',
    build: (t) => ({
      bytes: post(t, 'not gzip at all', 'Content-Type: application/json\r\nContent-Encoding: gzip\r\n'),
    }),
  },
  {
    name: 'Content-Encoding: x-unknown',
    build: (t) => ({
      bytes: post(t, '{}', 'Content-Type: application/json\r\nContent-Encoding: x-unknown\r\n'),
    }),
  },
  {
    name: 'multipart without a boundary',
    build: (t) => ({ bytes: post(t, '--x\r\n', 'Content-Type: multipart/form-data\r\n') }),
  },
  {
    name: 'multipart upload cut off mid-part',
    only: ['media', 'front door'],
    build: (t) => {
      const body =
        '--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG';
      return {
        bytes: `POST /files HTTP/1.1\r\n${H}${auth(t)}Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 5000\r\n\r\n${body}`,
        opts: { halfClose: true },
      };
    },
  },
  {
    name: 'truncated body, then half-close',
    build: (t) => ({
      bytes: `POST ${jsonPath(t)} HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":`,
      opts: { halfClose: true },
    }),
  },
  {
    name: 'aborted request (reset after half the headers)',
    build: (t) => ({ bytes: `POST ${jsonPath(t)} HTTP/1.1\r\n${H}Content-Ty`, opts: { reset: true } }),
  },
  {
    name: 'aborted body mid-proxy (reset after part of the body)',
    build: (t) => ({
      bytes: `POST ${jsonPath(t)} HTTP/1.1\r\n${H}${auth(t)}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":"`,
      opts: { reset: true },
    }),
  },
  {
    name: 'garbage pipelined after a valid request',
    expect: 'harmless',
    build: (t) => ({ bytes: `GET ${t.health} HTTP/1.1\r\n${H}\r\n\x00\x01\x02 NOT HTTP\r\n\r\n` }),
  },
  // Upgrades
  { name: 'WebSocket upgrade on a REST path', build: (t) => ({ bytes: upgrade(jsonPath(t), WS) }) },
  {
    name: 'WebSocket upgrade on the web client',
    only: ['front door'],
    build: () => ({ bytes: upgrade('/', WS) }),
  },
  {
    name: 'Upgrade: h2c',
    build: () => ({ bytes: upgrade('/', 'Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n') }),
  },
  {
    name: 'upgrade to an unknown protocol on /socket.io/',
    only: ['front door', 'gateway'],
    build: () => ({ bytes: upgrade(EIO_WS, 'Upgrade: chat-over-carrier-pigeon\r\n') }),
  },
  {
    name: 'WebSocket upgrade without Sec-WebSocket-Key',
    only: ['front door', 'gateway'],
    build: () => ({ bytes: upgrade(EIO_WS, 'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n') }),
  },
  {
    name: 'WebSocket upgrade with Sec-WebSocket-Version: 99',
    only: ['front door', 'gateway'],
    build: () => ({
      bytes: upgrade(
        EIO_WS,
        'Upgrade: websocket\r\nSec-WebSocket-Version: 99\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n',
      ),
    }),
  },
  {
    name: 'WebSocket upgrade with a malformed key',
    only: ['front door', 'gateway'],
    build: () => ({
      bytes: upgrade(EIO_WS, 'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: !!\r\n'),
    }),
  },
  {
    name: 'WebSocket upgrade by POST',
    only: ['front door', 'gateway'],
    build: () => ({ bytes: upgrade(EIO_WS, WS, 'POST') }),
  },
  // engine.io takes any EIO other than 4 for protocol 3 and serves it (allowEIO3 is off, yet the
  // WebSocket opens): socket.io's behaviour, nothing of ours breaks.
  {
    name: 'WebSocket upgrade with EIO=9',
    expect: 'harmless',
    only: ['front door', 'gateway'],
    build: () => ({ bytes: upgrade('/socket.io/?EIO=9&transport=websocket', WS) }),
  },
  {
    name: 'WebSocket upgrade for an unknown sid',
    only: ['front door', 'gateway'],
    build: () => ({ bytes: upgrade(`${EIO_WS}&sid=nope`, WS) }),
  },
  {
    name: 'socket.io poll for an unknown sid',
    only: ['front door', 'gateway'],
    build: () => ({ bytes: get('/socket.io/?EIO=4&transport=polling&sid=%E0') }),
  },
  {
    name: 'socket.io unknown transport',
    only: ['front door', 'gateway'],
    build: () => ({ bytes: get('/socket.io/?EIO=4&transport=carrier') }),
  },
  {
    name: 'socket.io POST of junk to an unknown session',
    only: ['front door', 'gateway'],
    build: () => ({
      bytes: `POST /socket.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\n${H}Content-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\n\x00\x01\x02\x03\x04`,
    }),
  },
];

/** Why an answer fails the case; undefined when it passes. */
export function judge(c: HostileRequest, a: RawAnswer): string | undefined {
  if (a.status !== null && a.status >= 500) return `answered ${a.status}: ${a.body.slice(0, 200)}`;
  if (/\n\s+at [\w.<>]+ \(|node:internal|\/node_modules\//.test(a.body))
    return `stack trace in the body: ${a.body.slice(0, 200)}`;
  if (/root:x:0:0/.test(a.body)) return 'served a file outside the web root';
  if (c.expect === 'harmless') return a.hung ? 'no answer within the wait' : undefined;
  if (a.status === null) return a.closed ? undefined : 'no answer and the connection stayed open';
  if (a.status < 400) return `answered ${a.status}`;
  // A JSON error body is the contract's: statusCode, code, message, requestId (no stack).
  if (/^\s*\{/.test(a.body) && /"statusCode"/.test(a.body)) {
    const body = JSON.parse(a.body) as Record<string, unknown>;
    const keys = Object.keys(body).sort().join(',');
    if (keys !== 'code,message,requestId,statusCode') return `error body keys ${keys}`;
    if (body.statusCode !== a.status) return `statusCode ${String(body.statusCode)} for status ${a.status}`;
  }
  return undefined;
}
