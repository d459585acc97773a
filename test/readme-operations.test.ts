import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderOperationsSection, SECTION_END, SECTION_START } from '../emulator/services/sagemaker/engine/readme-table.js';

describe("README's generated SageMaker operations section", () => {
  it('matches what the engine serves (run npm run docs:operations when it does not)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf(SECTION_START);
    const end = readme.indexOf(SECTION_END);
    expect(start, 'README.md lacks the operations section markers').toBeGreaterThanOrEqual(0);
    expect(readme.slice(start, end + SECTION_END.length)).toBe(renderOperationsSection());
  });
});
