import { parsePushPayload, pickWindow, sameOriginUrl, someoneLooking, strategyFor } from './sw-policy';

const ORIGIN = 'https://chat.example.com';
const req = (path: string, mode = 'no-cors', method = 'GET') => ({ method, url: `${ORIGIN}${path}`, mode });

describe('the service worker: what it caches', () => {
  it('never touches what the services answer', () => {
    for (const path of [
      '/auth/me',
      '/auth/refresh',
      '/files/abc?thumb=1',
      '/socket.io/?EIO=4&transport=polling',
      '/channels',
      '/channels/x/messages',
      '/messages/x/replies',
      '/dms',
      '/search?q=a',
      '/users?q=a',
      '/push/key',
      '/hooks/id/secret',
    ]) {
      expect(strategyFor(req(path), ORIGIN)).toBe('network');
      // Not even as a page load.
      expect(strategyFor(req(path, 'navigate'), ORIGIN)).toBe('network');
    }
  });

  it('leaves other origins and anything but GET alone', () => {
    expect(strategyFor({ method: 'GET', url: 'https://cdn.example.net/x.js', mode: 'cors' }, ORIGIN)).toBe(
      'network',
    );
    expect(strategyFor(req('/', 'navigate', 'POST'), ORIGIN)).toBe('network');
    expect(strategyFor({ method: 'GET', url: 'not a url', mode: 'cors' }, ORIGIN)).toBe('network');
  });

  it('serves page loads network first with the shell behind, hashed assets from the cache', () => {
    expect(strategyFor(req('/', 'navigate'), ORIGIN)).toBe('shell');
    expect(strategyFor(req('/?utm=x', 'navigate'), ORIGIN)).toBe('shell');
    expect(strategyFor(req('/assets/index-abc.js'), ORIGIN)).toBe('asset');
    expect(strategyFor(req('/manifest.webmanifest'), ORIGIN)).toBe('static');
    expect(strategyFor(req('/icons/icon-192.png'), ORIGIN)).toBe('static');
    // A path that merely starts like a service's is the app's.
    expect(strategyFor(req('/authors.png'), ORIGIN)).toBe('static');
  });
});

describe('the service worker: push payloads', () => {
  const good = {
    kind: 'mention',
    channelId: 'c1',
    messageId: 'm1',
    seq: 7,
    title: 'ben in #plaza',
    body: '@ana look',
    url: '/#/c/c1/m/7',
    tag: 'chat:c1',
  };

  it('reads the contract notification with its url and tag', () => {
    expect(parsePushPayload(JSON.stringify(good), ORIGIN)).toEqual({
      title: 'ben in #plaza',
      body: '@ana look',
      tag: 'chat:c1',
      url: `${ORIGIN}/#/c/c1/m/7`,
      notification: {
        kind: 'mention',
        channelId: 'c1',
        messageId: 'm1',
        seq: 7,
        title: 'ben in #plaza',
        body: '@ana look',
      },
    });
  });

  it('derives the url and tag from the channel and seq when they are missing', () => {
    const { url: _u, tag: _t, ...bare } = good;
    expect(parsePushPayload(JSON.stringify(bare), ORIGIN)).toMatchObject({
      url: `${ORIGIN}/#/c/c1/m/7`,
      tag: 'chat:c1',
    });
  });

  it('never leads off the origin, whatever the url says', () => {
    for (const url of ['https://evil.example/', '//evil.example/x', 'javascript:alert(1)', 42]) {
      expect(parsePushPayload(JSON.stringify({ ...good, url }), ORIGIN)?.url).toBe(
        typeof url === 'string' ? `${ORIGIN}/` : `${ORIGIN}/#/c/c1/m/7`,
      );
    }
    expect(sameOriginUrl('/#/settings', ORIGIN)).toBe(`${ORIGIN}/#/settings`);
  });

  it('bounds text and refuses what is not a JSON object', () => {
    const long = parsePushPayload(
      JSON.stringify({ ...good, title: 't'.repeat(1000), body: 'b'.repeat(2500) }),
      ORIGIN,
    );
    expect(long?.title.length).toBe(200);
    expect(long?.body.length).toBe(500);
    for (const bad of [null, '', 'not json', '[1,2]', '"text"', 'null', `{"title":"${'x'.repeat(5000)}"}`]) {
      expect(parsePushPayload(bad, ORIGIN)).toBeNull();
    }
  });

  it('keeps a usable notification only when the contract fields are all there', () => {
    expect(parsePushPayload(JSON.stringify({ ...good, kind: 'weird' }), ORIGIN)?.notification).toBeNull();
    expect(parsePushPayload(JSON.stringify({ ...good, seq: -1 }), ORIGIN)?.notification).toBeNull();
    expect(parsePushPayload(JSON.stringify({ title: 'Hi' }), ORIGIN)).toMatchObject({
      title: 'Hi',
      body: '',
      tag: 'chat',
      url: `${ORIGIN}/`,
      notification: null,
    });
  });
});

describe('the service worker: which window a click brings forward', () => {
  const w = (url: string, focused = false, visibilityState = 'hidden') => ({ url, focused, visibilityState });

  it('prefers the focused window, then a visible one, then any of ours; none of another origin', () => {
    expect(pickWindow([w(`${ORIGIN}/`), w(`${ORIGIN}/`, true, 'visible')], ORIGIN)).toBe(1);
    expect(pickWindow([w(`${ORIGIN}/`), w(`${ORIGIN}/`, false, 'visible')], ORIGIN)).toBe(1);
    expect(pickWindow([w('https://other.example/', true, 'visible'), w(`${ORIGIN}/#/c/x`)], ORIGIN)).toBe(1);
    expect(pickWindow([w('https://other.example/', true, 'visible')], ORIGIN)).toBe(-1);
    expect(pickWindow([], ORIGIN)).toBe(-1);
  });

  it('counts someone as looking only at a focused, visible window of ours', () => {
    expect(someoneLooking([w(`${ORIGIN}/`, true, 'visible')], ORIGIN)).toBe(true);
    expect(someoneLooking([w(`${ORIGIN}/`, false, 'visible'), w(`${ORIGIN}/`, true, 'hidden')], ORIGIN)).toBe(
      false,
    );
    expect(someoneLooking([w('https://other.example/', true, 'visible')], ORIGIN)).toBe(false);
  });
});
