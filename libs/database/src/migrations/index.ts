import { Init1764000000000 } from './1764000000000-Init';

/** Every migration, in order. Listed explicitly so bundled and compiled builds find them alike. */
export const MIGRATIONS = [Init1764000000000];
