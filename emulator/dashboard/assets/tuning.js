// Hyperparameter tuning jobs, in the shapes of DescribeHyperParameterTuningJob and
// ListTrainingJobsForHyperParameterTuningJob: the leaderboard of child jobs by objective, the
// objective over time with the best so far, and each tuned hyperparameter against the objective.
import { api, every, onLeave, badge, fmtNum, fmtTime, h, lineChart, listAll, section, table, toDate } from './lib.js';

export async function tuningJobs(main) {
  main.append(h('h1', null, 'Hyperparameter tuning jobs'));
  const panel = h('div', { class: 'panel', id: 'tuning-list' });
  main.append(panel);
  await every(3000, () => section(panel, 'All tuning jobs', async () => {
    const jobs = await listAll('sagemaker', 'ListHyperParameterTuningJobs', { SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 100 }, 'HyperParameterTuningJobSummaries');
    return table(['Name', 'Status', 'Strategy', 'Training jobs', 'Created'], jobs.map((j) => [
      h('a', { href: `#/tuning/${encodeURIComponent(j.HyperParameterTuningJobName)}` }, j.HyperParameterTuningJobName),
      badge(j.HyperParameterTuningJobStatus),
      j.Strategy ?? '–',
      counters(j.TrainingJobStatusCounters),
      fmtTime(j.CreationTime),
    ]));
  }));
}

const counters = (c) => (c ? Object.entries(c).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(', ') || '0' : '–');

/** Every tuned hyperparameter, numeric ones first, with the value each child job used. */
function rangesOf(config) {
  const r = config?.ParameterRanges ?? {};
  return [
    ...(r.IntegerParameterRanges ?? []).map((p) => ({ name: p.Name, kind: 'numeric', log: p.ScalingType === 'Logarithmic' })),
    ...(r.ContinuousParameterRanges ?? []).map((p) => ({ name: p.Name, kind: 'numeric', log: p.ScalingType === 'Logarithmic' })),
    ...(r.CategoricalParameterRanges ?? []).map((p) => ({ name: p.Name, kind: 'categorical', values: p.Values ?? [] })),
  ];
}

export async function tuningJob(main, name) {
  main.append(h('div', { class: 'crumbs' }, h('a', { href: '#/tuning' }, 'Tuning jobs'), ' / ', name));
  const summary = h('div', { class: 'panel', id: 'tuning-summary' });
  const board = h('div', { class: 'panel', id: 'leaderboard' });
  const overTime = h('div', { class: 'panel', id: 'objective-over-time' }, h('h2', null, 'Objective over time'));
  const perParam = h('div', { class: 'grid', id: 'per-hyperparameter' });
  main.append(summary, overTime, perParam, board);
  const charts = new Map();
  onLeave(() => charts.forEach((c) => c.destroy()));
  let finished = false;

  await every(2000, async () => {
    if (finished) return;
    let job;
    await section(summary, name, async () => {
      job = await api('sagemaker', 'DescribeHyperParameterTuningJob', { HyperParameterTuningJobName: name });
      const cfg = job.HyperParameterTuningJobConfig ?? {};
      const obj = cfg.HyperParameterTuningJobObjective ?? {};
      return h('dl', { class: 'kv' },
        h('dt', null, 'Status'), h('dd', null, badge(job.HyperParameterTuningJobStatus)),
        h('dt', null, 'Objective'), h('dd', null, `${obj.Type ?? '?'} ${obj.MetricName ?? '?'}`),
        h('dt', null, 'Strategy'), h('dd', null, cfg.Strategy ?? '–'),
        h('dt', null, 'Limits'), h('dd', null, `${cfg.ResourceLimits?.MaxNumberOfTrainingJobs ?? '–'} jobs, ${cfg.ResourceLimits?.MaxParallelTrainingJobs ?? '–'} in parallel`),
        h('dt', null, 'Training jobs'), h('dd', null, counters(job.TrainingJobStatusCounters)),
        h('dt', null, 'Objective status'), h('dd', null, counters(job.ObjectiveStatusCounters)),
        h('dt', null, 'Best training job'), h('dd', null, job.BestTrainingJob ? h('a', { href: `#/training/${encodeURIComponent(job.BestTrainingJob.TrainingJobName)}` }, job.BestTrainingJob.TrainingJobName) : '–'),
        h('dt', null, 'Created'), h('dd', null, fmtTime(job.CreationTime)),
        job.FailureReason ? [h('dt', null, 'Failure reason'), h('dd', { class: 'error' }, job.FailureReason)] : null,
      );
    });
    if (!job) {
      overTime.remove();
      perParam.remove();
      board.remove();
      finished = true;
      return;
    }
    const cfg = job.HyperParameterTuningJobConfig ?? {};
    const minimize = cfg.HyperParameterTuningJobObjective?.Type === 'Minimize';
    const metric = cfg.HyperParameterTuningJobObjective?.MetricName ?? 'objective';
    let children = [];
    await section(board, 'Leaderboard', async () => {
      children = await listAll('sagemaker', 'ListTrainingJobsForHyperParameterTuningJob', { HyperParameterTuningJobName: name, MaxResults: 100 }, 'TrainingJobSummaries', 50);
      const scored = children.filter((c) => Number.isFinite(c.FinalHyperParameterTuningJobObjectiveMetric?.Value));
      const ranked = [...scored].sort((a, b) => (minimize ? 1 : -1) * (a.FinalHyperParameterTuningJobObjectiveMetric.Value - b.FinalHyperParameterTuningJobObjectiveMetric.Value));
      const rest = children.filter((c) => !scored.includes(c));
      const params = rangesOf(cfg).map((p) => p.name);
      return table(['#', 'Training job', 'Status', { label: metric, num: true }, ...params], [...ranked, ...rest].map((c, i) => [
        i < ranked.length ? String(i + 1) : '–',
        h('a', { href: `#/training/${encodeURIComponent(c.TrainingJobName)}` }, c.TrainingJobName),
        badge(c.TrainingJobStatus),
        fmtNum(c.FinalHyperParameterTuningJobObjectiveMetric?.Value),
        ...params.map((p) => c.TunedHyperParameters?.[p] ?? '–'),
      ]));
    });
    drawCharts(children, cfg, minimize, metric, overTime, perParam, charts);
    finished = !['InProgress', 'Stopping'].includes(job.HyperParameterTuningJobStatus);
  });
}

function drawCharts(children, cfg, minimize, metric, overTime, perParam, charts) {
  const done = children
    .filter((c) => Number.isFinite(c.FinalHyperParameterTuningJobObjectiveMetric?.Value))
    .map((c) => ({ c, at: (toDate(c.TrainingEndTime) ?? toDate(c.CreationTime)).getTime() / 1000, v: c.FinalHyperParameterTuningJobObjectiveMetric.Value }))
    .sort((a, b) => a.at - b.at);
  if (!charts.has('time')) charts.set('time', lineChart(overTime, { series: [metric, 'best so far'], time: true, xLabel: 'training end' }));
  let best;
  const bestSoFar = done.map((d) => (best = best === undefined ? d.v : minimize ? Math.min(best, d.v) : Math.max(best, d.v)));
  charts.get('time').set(done.map((d) => d.at), done.map((d) => d.v), bestSoFar);

  for (const p of rangesOf(cfg)) {
    const key = `param:${p.name}`;
    if (!charts.has(key)) {
      const panel = h('div', { class: 'panel', 'data-hyperparameter': p.name });
      perParam.append(panel);
      charts.set(key, lineChart(panel, {
        title: `${metric} against ${p.name}${p.log ? ' (log scale search)' : ''}`,
        series: [metric],
        xLabel: p.name,
        points: true,
        categories: p.kind === 'categorical' ? p.values : undefined,
      }));
    }
    const pts = done
      .map((d) => {
        const raw = d.c.TunedHyperParameters?.[p.name];
        const x = p.kind === 'categorical' ? p.values.indexOf(String(raw).replace(/^"|"$/g, '')) : Number(raw);
        return { x, y: d.v };
      })
      .filter((q) => Number.isFinite(q.x) && q.x >= (p.kind === 'categorical' ? 0 : -Infinity))
      .sort((a, b) => a.x - b.x);
    charts.get(key).set(distinctX(pts.map((q) => q.x), p.kind === 'categorical'), pts.map((q) => q.y));
  }
}

/**
 * uPlot finds the points to draw by searching x, so two jobs with the same value would hide one.
 * Repeated values are spread apart: visibly within a category (±0.3), imperceptibly otherwise.
 */
function distinctX(xs, categorical) {
  const out = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j < xs.length && xs[j] === xs[i]) j++;
    const n = j - i;
    for (let k = 0; k < n; k++) {
      const spread = categorical ? 0.6 : Math.max(Math.abs(xs[i]) * 1e-9, 1e-12) * n;
      out.push(n === 1 ? xs[i] : xs[i] - spread / 2 + (spread * k) / (n - 1));
    }
    i = j;
  }
  return out;
}
