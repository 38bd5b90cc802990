export const SECURITY_OPTIONS = Symbol('SECURITY_OPTIONS');
export const KEY_RESOLVER = Symbol('KEY_RESOLVER');
export const JWT_STRATEGY = Symbol('JWT_STRATEGY');
