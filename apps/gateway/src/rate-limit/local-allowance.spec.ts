import { LocalAllowance } from './local-allowance';

describe('LocalAllowance', () => {
  it('lets a tenth of the budget through per window, then counts it with the next command', () => {
    const local = LocalAllowance.forBudget(20, 1000);
    expect([local.take('u', 0), local.take('u', 10)]).toEqual([0, 0]);
    // The third asks the shared counter for itself and the two let through.
    expect(local.take('u', 20)).toBe(3);
    // From then on, in this window, every command is counted in the shared counter.
    expect([local.take('u', 30), local.take('u', 40)]).toEqual([1, 1]);
  });

  it('starts over in the next window, and keeps keys apart', () => {
    const local = LocalAllowance.forBudget(20, 1000);
    for (let i = 0; i < 5; i++) local.take('u', i);
    expect(local.take('v', 5)).toBe(0);
    expect(local.take('u', 1000)).toBe(0);
    expect(local.take('u', 1001)).toBe(0);
    expect(local.take('u', 1002)).toBe(3);
  });

  it('counts every command in the shared counter when the budget is under ten', () => {
    const local = LocalAllowance.forBudget(9, 1000);
    expect([local.take('u', 0), local.take('u', 1)]).toEqual([1, 1]);
  });
});
