import { Init1764000000000 } from './1764000000000-Init';
import { MessagesRecencyIndex1764100000000 } from './1764100000000-MessagesRecencyIndex';

/** Every migration, in order. Listed explicitly so bundled and compiled builds find them alike. */
export const MIGRATIONS = [Init1764000000000, MessagesRecencyIndex1764100000000];
