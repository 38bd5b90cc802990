import type { User } from '@chat/contracts';
import type { ConnectionState } from '../ports';
import { Slice } from './slice';

export interface SessionState {
  me: User;
  connection: ConnectionState;
}

/** Who is signed in, and how the socket is doing. */
export class SessionSlice extends Slice<SessionState> {
  constructor(me: User, changed: () => void) {
    super({ me, connection: 'connecting' }, changed);
  }

  /** The caller's account changed (roles refreshed from /auth/me). */
  setMe(me: User): void {
    if (me.id === this.state.me.id) this.set({ me });
  }

  setConnection(connection: ConnectionState): void {
    if (connection !== this.state.connection) this.set({ connection });
  }
}
