// Training jobs: the list, and one job's status timeline, live metric charts scraped from its
// CloudWatch Logs with the job's own MetricDefinitions (as SageMaker scrapes them), log tail,
// hyperparameters and model artifact.
import { fill, api, emulatorNow, every, onLeave, badge, fmtDuration, fmtNum, fmtTime, h, lineChart, listAll, s3Link, section, table, toDate } from './lib.js';

const LOG_GROUP = '/aws/sagemaker/TrainingJobs';
const STEP_COLORS = { Starting: '#8c959f', Downloading: '#0a7ea4', Training: '#1f6feb', Uploading: '#8250df', Completed: '#1a7f37', Failed: '#cf222e', Stopping: '#9a6700', Stopped: '#9a6700', MaxRuntimeExceeded: '#cf222e', Interrupted: '#cf222e' };

export async function trainingJobs(main) {
  main.append(h('h1', null, 'Training jobs'));
  const panel = h('div', { class: 'panel' });
  main.append(panel);
  await every(2000, () => section(panel, 'All training jobs', async () => {
    const now = await emulatorNow();
    const jobs = await listAll('sagemaker', 'ListTrainingJobs', { SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 100 }, 'TrainingJobSummaries');
    return table(['Name', 'Status', 'Secondary status', 'Created', 'Duration'], jobs.map((j) => [
      h('a', { href: `#/training/${encodeURIComponent(j.TrainingJobName)}` }, j.TrainingJobName),
      badge(j.TrainingJobStatus),
      j.SecondaryStatus ?? '–',
      fmtTime(j.CreationTime),
      fmtDuration((toDate(j.TrainingEndTime) ?? new Date(now)) - toDate(j.CreationTime)),
    ]));
  }));
}

/** One metric's history: the value each time a log line matched its regex. */
class MetricSeries {
  constructor(name, regex) {
    this.name = name;
    try {
      this.re = new RegExp(regex);
    } catch {
      this.re = null; // a Python-only regex construct: the metric is listed but not charted
    }
    this.x = [];
    this.y = [];
  }
  observe(message) {
    const m = this.re?.exec(message);
    if (!m) return false;
    const v = Number(m[1]);
    if (!Number.isFinite(v)) return false;
    // Per epoch where the line names one (the built-in algorithms do), else the n-th report.
    const epoch = /\bepoch[=: ]+(\d+)/i.exec(message);
    const x = epoch ? Number(epoch[1]) : this.x.length + 1;
    if (this.x.length && x < this.x[this.x.length - 1]) return false;
    this.x.push(x);
    this.y.push(v);
    return true;
  }
}

/** Follows every log stream of a job with GetLogEvents' forward tokens. */
class LogFollower {
  constructor(job) {
    this.job = job;
    this.tokens = new Map();
    this.lines = [];
  }
  async poll(onEvent) {
    // The log group appears with the first training job's first log line.
    const streams = await listAll('logs', 'DescribeLogStreams', { logGroupName: LOG_GROUP, logStreamNamePrefix: `${this.job}/` }, 'logStreams').catch((e) => {
      if (e.code === 'ResourceNotFoundException') return [];
      throw e;
    });
    for (const s of streams) {
      for (let i = 0; i < 50; i++) {
        const token = this.tokens.get(s.logStreamName);
        const page = await api('logs', 'GetLogEvents', { logGroupName: LOG_GROUP, logStreamName: s.logStreamName, startFromHead: true, ...(token ? { nextToken: token } : {}) });
        for (const e of page.events ?? []) {
          this.lines.push({ stream: s.logStreamName, ...e });
          onEvent(s.logStreamName, e);
        }
        this.tokens.set(s.logStreamName, page.nextForwardToken);
        if (!page.events?.length || page.nextForwardToken === token) break;
      }
    }
  }
}

export async function trainingJob(main, name) {
  main.append(h('div', { class: 'crumbs' }, h('a', { href: '#/training' }, 'Training jobs'), ' / ', name));
  const head = h('div');
  const status = h('div', { class: 'panel', id: 'status' });
  const metricsPanel = h('div', { class: 'panel', id: 'metrics' }, h('h2', null, 'Metrics'));
  const charts = h('div', { class: 'grid' });
  metricsPanel.append(charts);
  const hyper = h('div', { class: 'panel', id: 'hyperparameters' });
  const logPanel = h('div', { class: 'panel', id: 'logs' }, h('h2', null, 'Log tail'));
  const logPre = h('pre', { class: 'log' });
  logPanel.append(logPre);
  main.append(head, status, metricsPanel, h('div', { class: 'grid' }, hyper, logPanel));

  const logs = new LogFollower(name);
  let series;
  const chartOf = new Map();
  let done = false;

  await every(1000, async () => {
    if (done) return;
    const job = await api('sagemaker', 'DescribeTrainingJob', { TrainingJobName: name }).catch((e) => {
      fill(head, h('h1', null, name), h('div', { class: 'error' }, e.message));
      done = true;
    });
    if (!job) return;
    fill(head, h('h1', null, name, ' ', badge(job.TrainingJobStatus), ' ', h('span', { class: 'muted' }, job.SecondaryStatus ?? '')));
    renderStatus(status, job, await emulatorNow());
    if (!hyper.childElementCount) renderHyperparameters(hyper, job);
    series ??= (job.AlgorithmSpecification?.MetricDefinitions ?? []).map((d) => new MetricSeries(d.Name, d.Regex));

    const firstHost = (stream) => /\/algo-1-\d+$/.test(stream);
    const changed = new Set();
    await logs.poll((stream, e) => {
      if (!firstHost(stream)) return; // the service scrapes metrics from the first host
      for (const s of series) if (s.observe(e.message)) changed.add(s);
    });
    for (const s of changed) {
      if (!chartOf.has(s)) chartOf.set(s, lineChart(charts, { title: s.name, series: [s.name], xLabel: 'epoch' }));
      chartOf.get(s).set(s.x, s.y);
    }
    if (!series.length) fill(metricsPanel, h('h2', null, 'Metrics'), h('div', { class: 'muted' }, 'The job has no MetricDefinitions.'));
    else if (!chartOf.size) fill(charts, h('div', { class: 'muted', id: 'no-metrics' }, 'No metric reported yet.'));
    else charts.querySelector('#no-metrics')?.remove();
    const tail = logs.lines.slice(-200).map((l) => `${new Date(l.timestamp).toISOString().slice(11, 23)} ${l.stream.split('/').pop()}  ${l.message}`);
    const atBottom = logPre.scrollTop + logPre.clientHeight >= logPre.scrollHeight - 4;
    logPre.textContent = tail.join('\n') || '(no log events yet)';
    if (atBottom) logPre.scrollTop = logPre.scrollHeight;
    done = !['InProgress', 'Stopping'].includes(job.TrainingJobStatus);
  });
  onLeave(() => chartOf.forEach((c) => c.destroy()));
}

function renderStatus(panel, job, now) {
  const steps = job.SecondaryStatusTransitions ?? [];
  const spans = steps.map((s) => ({ ...s, start: toDate(s.StartTime), end: toDate(s.EndTime) }));
  const first = spans[0]?.start?.getTime() ?? now;
  const last = Math.max(first + 1, ...spans.map((s) => (s.end ?? new Date(now)).getTime()));
  const bar = h('div', { class: 'timeline' }, spans.map((s) => h('div', {
    title: `${s.Status}: ${fmtDuration((s.end ?? new Date(now)) - s.start)}`,
    style: { width: `${(100 * ((s.end?.getTime() ?? now) - s.start.getTime())) / (last - first)}%`, background: STEP_COLORS[s.Status] ?? '#8c959f' },
  })));
  fill(panel, 
    h('h2', null, 'Status'),
    h('dl', { class: 'kv' },
      h('dt', null, 'Algorithm'), h('dd', null, job.AlgorithmSpecification?.TrainingImage ?? job.AlgorithmSpecification?.AlgorithmName ?? '–'),
      h('dt', null, 'Instances'), h('dd', null, `${job.ResourceConfig?.InstanceCount ?? '–'} × ${job.ResourceConfig?.InstanceType ?? '–'}`),
      h('dt', null, 'Created'), h('dd', null, fmtTime(job.CreationTime)),
      h('dt', null, 'Billable time'), h('dd', null, job.BillableTimeInSeconds !== undefined ? `${job.BillableTimeInSeconds} s` : '–'),
      h('dt', null, 'Model artifact'), h('dd', { id: 'artifact' }, job.ModelArtifacts?.S3ModelArtifacts ? s3Link(job.ModelArtifacts.S3ModelArtifacts) : '–'),
      job.FailureReason ? [h('dt', null, 'Failure reason'), h('dd', { class: 'error' }, job.FailureReason)] : null,
      job.TuningJobArn ? [h('dt', null, 'Tuning job'), h('dd', null, h('a', { href: `#/tuning/${encodeURIComponent(job.TuningJobArn.split('/').pop())}` }, job.TuningJobArn))] : null,
    ),
    bar,
    table(['Secondary status', 'Start', 'Duration', 'Message'], spans.map((s) => [
      h('span', null, h('span', { style: { color: STEP_COLORS[s.Status] ?? '#8c959f' } }, '■ '), s.Status),
      fmtTime(s.StartTime),
      fmtDuration((s.end ?? new Date(now)) - s.start),
      s.StatusMessage ?? '',
    ])),
    job.FinalMetricDataList?.length
      ? [h('h2', { style: { marginTop: '12px' } }, 'Final metrics'), table(['Metric', { label: 'Value', num: true }], job.FinalMetricDataList.map((m) => [m.MetricName, fmtNum(m.Value)]))]
      : null,
  );
}

function renderHyperparameters(panel, job) {
  const hp = Object.entries(job.HyperParameters ?? {}).sort(([a], [b]) => a.localeCompare(b));
  fill(panel, h('h2', null, 'Hyperparameters'), table(['Name', 'Value'], hp.map(([k, v]) => [k, v])));
}
