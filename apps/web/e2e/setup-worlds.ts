import { stopWorlds } from './support';

// After each file's own afterAll hooks: whatever world is still running, or still starting because
// a beforeAll timed out waiting for it, is stopped before jest moves on to the next file.
afterAll(stopWorlds, 180_000);
