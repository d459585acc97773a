import { Rng } from '../../core/random.js';

/**
 * A churn-like tabular data set with mixed columns, as Autopilot users upload: numbers, strings,
 * free text and empty cells. The label (churn: "yes"/"no") follows the plan column (a categorical
 * column with no order: basic and enterprise churn, plus and premium stay) and, a little, age; the
 * other columns are noise. A model that ignores the categorical column can do little better than
 * a threshold on age.
 */
export const MIXED_HEADER = ['age', 'plan', 'churn', 'region', 'note', 'spend'];
export const MIXED_TARGET = 'churn';
const PLANS = ['basic', 'plus', 'premium', 'enterprise'];
const CHURNING = new Set(['basic', 'enterprise']);
const REGIONS = ['north', 'south', 'east', 'west'];
const NOTES = ['renewed early', 'asked for a discount', 'late, again', 'no contact', 'opened a ticket'];

export interface MixedRow {
  age: number | undefined;
  plan: string | undefined;
  churn: 'yes' | 'no';
  region: string;
  note: string;
  spend: number;
}

export function mixedRows(n: number, seed: number): MixedRow[] {
  const rng = new Rng(seed);
  const rows: MixedRow[] = [];
  for (let i = 0; i < n; i++) {
    const ageZ = rng.normal();
    const plan = PLANS[rng.int(PLANS.length)];
    const logit = 3 * (CHURNING.has(plan) ? 1 : -1) + ageZ + 0.5 * rng.normal();
    rows.push({
      // Missing cells: about 5 % of ages, 3 % of plans (the label was drawn from the real plan).
      age: rng.next() < 0.05 ? undefined : Math.round((40 + 12 * ageZ) * 10) / 10,
      plan: rng.next() < 0.03 ? undefined : plan,
      churn: logit > 0 ? 'yes' : 'no',
      region: REGIONS[rng.int(REGIONS.length)],
      // Text-like: mostly one of a few phrases (one with a comma, so quoted), sometimes a unique one.
      note: rng.next() < 0.2 ? `ticket ${rng.int(1e9)}` : NOTES[rng.int(NOTES.length)],
      spend: Math.round(rng.next() * 50000) / 100,
    });
  }
  return rows;
}

const cell = (v: string | number | undefined) => (v === undefined ? '' : typeof v === 'string' && /[",]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v));

/** The data set as AutoML reads it: a header row, the target in the third column. */
export function mixedCsv(rows: MixedRow[]): string {
  return [MIXED_HEADER.join(','), ...rows.map((r) => MIXED_HEADER.map((h) => cell(r[h as keyof MixedRow])).join(','))].join('\n') + '\n';
}

/** Rows as a deployed candidate takes them: the same columns in the same order, less the target. */
export function mixedInferenceCsv(rows: MixedRow[]): string {
  return rows.map((r) => MIXED_HEADER.filter((h) => h !== MIXED_TARGET).map((h) => cell(r[h as keyof MixedRow])).join(',')).join('\n');
}

/**
 * The best accuracy any model that ignores the categorical and text columns can reach on these
 * rows: the better of every threshold on age (either direction; the label rises with age alone
 * among the numbers, spend is noise), chosen on the rows themselves, so it is an upper bound.
 */
export function numericOnlyBaseline(rows: MixedRow[]): number {
  const ages = [...new Set(rows.map((r) => r.age ?? 40))].sort((a, b) => a - b);
  let best = 0;
  for (const t of [-Infinity, ...ages]) {
    const above = rows.filter((r) => ((r.age ?? 40) > t) === (r.churn === 'yes')).length / rows.length;
    best = Math.max(best, above, 1 - above);
  }
  return best;
}

const FILLER = 'the a this my our package order item box delivery arrived yesterday today week came with was is it and of to in for on color size fit'.split(' ');
const POSITIVE = ['great', 'excellent', 'love', 'perfect', 'recommend'];
const NEGATIVE = ['awful', 'broken', 'refund', 'disappointed', 'poor'];

/**
 * Product reviews: free text where each review is unique (six filler words in random order) and one
 * sentiment word decides the label; `stars_shown` is noise. Only a model that reads the words
 * (not one that treats the column as categories, all of them seen once) can predict the label.
 */
export function reviewRows(n: number, seed: number): { review: string; stars_shown: number; sentiment: 'positive' | 'negative' }[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const positive = rng.next() < 0.5;
    const words = Array.from({ length: 6 }, () => FILLER[rng.int(FILLER.length)]);
    words.splice(rng.int(7), 0, (positive ? POSITIVE : NEGATIVE)[rng.int(5)]);
    return { review: words.join(' '), stars_shown: 1 + rng.int(5), sentiment: positive ? 'positive' : 'negative' };
  });
}
