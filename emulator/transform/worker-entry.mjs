// Worker threads do not inherit the TypeScript loader of their parent; register tsx here, then
// run the worker itself.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
