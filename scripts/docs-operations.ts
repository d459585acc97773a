// Rewrites README.md's generated "SageMaker operations" section from the engine and the catalog.
import { readFileSync, writeFileSync } from 'node:fs';
import { withOperationsSection } from '../emulator/services/sagemaker/engine/readme-table.js';

const file = new URL('../README.md', import.meta.url);
const before = readFileSync(file, 'utf8');
const after = withOperationsSection(before);
if (after !== before) writeFileSync(file, after);
console.log(after === before ? 'README.md operations section is up to date' : 'README.md operations section rewritten');
