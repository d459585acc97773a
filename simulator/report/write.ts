import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActivityRecord } from '../../core/autoscaling/index.js';
import type { RunResult } from '../run.js';
import { runHtml } from './html.js';
import { perMinute, perSecond, toCsv } from './series.js';
import { summarize, type Summary } from './summary.js';
import type { Replications } from '../replications.js';

/** An activity as DescribeScalingActivities puts it on the wire (awsJson: epoch-second timestamps). */
function wireActivity(a: ActivityRecord): Record<string, unknown> {
  const { fromCapacity: _f, toCapacity: _t, StartTime, EndTime, ...rest } = a;
  return { ...rest, StartTime: StartTime / 1000, ...(EndTime !== undefined ? { EndTime: EndTime / 1000 } : {}) };
}

/**
 * Writes the report folder: summary.json, per-second.{csv,json}, per-minute.{csv,json},
 * scaling-activities.json (DescribeScalingActivities with IncludeNotScaledActivities, newest
 * first, as AWS answers), alarms.json and index.html. No wall-clock time or locale goes into any
 * file, so the same scenario and seed give byte-identical files.
 */
export function writeReport(r: RunResult, dir: string, replications?: Replications): { summary: Summary; files: string[] } {
  mkdirSync(dir, { recursive: true });
  const summary = summarize(r);
  const sec = perSecond(r);
  const min = perMinute(r);
  const files: [string, string][] = [
    ['summary.json', JSON.stringify(summary, null, 2) + '\n'],
    ['per-second.csv', toCsv(sec)],
    ['per-second.json', JSON.stringify(sec) + '\n'],
    ['per-minute.csv', toCsv(min)],
    ['per-minute.json', JSON.stringify(min, null, 1) + '\n'],
    [
      'scaling-activities.json',
      JSON.stringify(
        {
          ScalingActivities: [...r.activities, ...r.notScaled]
            .map((a, i) => [a, i] as const)
            .sort((x, y) => y[0].StartTime - x[0].StartTime || y[1] - x[1])
            .map(([a]) => wireActivity(a)),
        },
        null,
        2,
      ) + '\n',
    ],
    ['alarms.json', JSON.stringify({ policies: r.policyArns, stateChanges: r.alarmHistory.map((h) => ({ ...h, at: new Date(h.at).toISOString() })) }, null, 2) + '\n'],
    ['index.html', runHtml(r, summary, sec, min, replications)],
  ];
  if (replications) {
    files.push(['replications.json', JSON.stringify(replications, null, 2) + '\n']);
    const names = Object.keys(replications.values);
    const rows = replications.seeds.map((seed, i) => [seed, ...names.map((k) => replications.values[k][i] ?? '')].join(','));
    files.push(['replications.csv', ['seed,' + names.join(','), ...rows].join('\n') + '\n']);
  }
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  return { summary, files: files.map(([n]) => join(dir, n)) };
}
