import type { Clock } from '../../core/clock.js';
import type { Database } from '../storage/database.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { TimingProfile } from '../timing.js';

/** What the services share: storage, the object store, the clock and the timing profile. */
export interface ServiceDeps {
  db: Database;
  store: ObjectStore;
  clock: Clock;
  timing: TimingProfile;
  dataDir: string;
  log: (message: string) => void;
  /** The image config: which local command or Python runs an image (emulator/containers/images.ts). */
  imageConfig?: string;
}
