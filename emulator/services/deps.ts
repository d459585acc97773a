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
  /**
   * Capacity mode for every endpoint (`--capacity-mode`): each instance serves with its type's
   * workers and service time. An endpoint's `localsage:capacity-mode` tag (on/off) overrides it.
   */
  capacityMode?: boolean;
}
