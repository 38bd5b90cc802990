import { ExpiryWheel } from './expiry-wheel';

describe('ExpiryWheel', () => {
  it('hands out each item once, when its second has passed, and never a removed one', () => {
    const wheel = new ExpiryWheel<string>();
    wheel.add('a', 100);
    wheel.add('b', 100);
    wheel.add('c', 101);
    wheel.add('gone', 100);
    wheel.remove('gone', 100);
    wheel.remove('never added', 100);
    expect(wheel.due(99_999)).toEqual([]);
    expect(wheel.due(100_000).sort()).toEqual(['a', 'b']);
    expect(wheel.due(100_500)).toEqual([]);
    expect(wheel.due(200_000)).toEqual(['c']);
    expect(wheel.due(300_000)).toEqual([]);
  });
});
