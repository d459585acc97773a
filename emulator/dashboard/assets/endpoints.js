// Endpoints: variants with weights and instance counts (DescribeEndpoint), per-minute invocations,
// latency and errors from CloudWatch's AWS/SageMaker namespace (GetMetricData), and Application
// Auto Scaling's activities on a timeline next to the CloudWatch alarms that drive them.
import { fill, api, emulatorNow, every, onLeave, badge, fmtNum, fmtTime, h, lineChart, listAll, section, table, toDate } from './lib.js';

export async function endpoints(main) {
  main.append(h('h1', null, 'Endpoints'));
  const panel = h('div', { class: 'panel', id: 'endpoint-list' });
  main.append(panel);
  await every(2000, () => section(panel, 'All endpoints', async () => {
    const eps = await listAll('sagemaker', 'ListEndpoints', { SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 100 }, 'Endpoints');
    return table(['Name', 'Status', 'Created', 'Last modified'], eps.map((e) => [
      h('a', { href: `#/endpoints/${encodeURIComponent(e.EndpointName)}` }, e.EndpointName),
      badge(e.EndpointStatus),
      fmtTime(e.CreationTime),
      fmtTime(e.LastModifiedTime),
    ]));
  }));
}

const WINDOW_S = 3600;
const QUERIES = [
  { id: 'invocations', metric: 'Invocations', stat: 'Sum' },
  { id: 'errors4xx', metric: 'Invocation4XXErrors', stat: 'Sum' },
  { id: 'errors5xx', metric: 'Invocation5XXErrors', stat: 'Sum' },
  { id: 'modellatency', metric: 'ModelLatency', stat: 'Average' },
  { id: 'overheadlatency', metric: 'OverheadLatency', stat: 'Average' },
];

export async function endpoint(main, name) {
  main.append(h('div', { class: 'crumbs' }, h('a', { href: '#/endpoints' }, 'Endpoints'), ' / ', name));
  const head = h('div');
  const variants = h('div', { class: 'panel', id: 'variants' });
  const metrics = h('div', { class: 'panel', id: 'cloudwatch' }, h('h2', null, 'Invocations, errors and latency per minute'));
  const scaling = h('div', { class: 'panel', id: 'scaling' }, h('h2', null, 'Scaling activities'));
  const alarms = h('div', { class: 'panel', id: 'alarms' }, h('h2', null, 'Alarms'));
  main.append(head, variants, metrics, h('div', { class: 'grid' }, scaling, alarms));
  const charts = {};
  onLeave(() => Object.values(charts).forEach((c) => c.destroy()));
  const off = new Set();

  await every(2000, async () => {
    let ep;
    await section(variants, 'Production variants', async () => {
      ep = await api('sagemaker', 'DescribeEndpoint', { EndpointName: name });
      fill(head, h('h1', null, name, ' ', badge(ep.EndpointStatus)), ep.FailureReason ? h('div', { class: 'error' }, ep.FailureReason) : null);
      return h('div', null,
        h('div', { class: 'muted' }, `Endpoint config ${ep.EndpointConfigName} · created ${fmtTime(ep.CreationTime)}`),
        table(['Variant', { label: 'Weight (current / desired)', num: true }, { label: 'Instances (current / desired)', num: true }, 'Image'], (ep.ProductionVariants ?? []).map((v) => [
          v.VariantName,
          `${fmtNum(v.CurrentWeight)} / ${fmtNum(v.DesiredWeight)}`,
          `${v.CurrentInstanceCount ?? '–'} / ${v.DesiredInstanceCount ?? '–'}`,
          (v.DeployedImages ?? []).map((d) => d.SpecifiedImage).join(', ') || '–',
        ])));
    });
    if (!ep) return;
    const variantNames = (ep.ProductionVariants ?? []).map((v) => v.VariantName);
    if (!off.has('cloudwatch')) await cloudWatch(metrics, name, variantNames, charts).catch((e) => off.add(e.stop ?? ''));
    const desiredNow = (ep.ProductionVariants ?? []).reduce((t, v) => t + (v.DesiredInstanceCount ?? 0), 0);
    if (!off.has('scaling')) await scalingTimeline(scaling, name, variantNames, charts, desiredNow).catch((e) => off.add(e.stop ?? ''));
    if (!off.has('alarms')) await alarmTable(alarms, name).catch((e) => off.add(e.stop ?? ''));
  });
}

/** Per-minute sums over the last hour, every variant together. */
async function cloudWatch(panel, name, variantNames, charts) {
  const end = Math.ceil((await emulatorNow()) / 60_000) * 60;
  const queries = variantNames.flatMap((variant, vi) => QUERIES.map((q) => ({
    Id: `${q.id}v${vi}`,
    MetricStat: {
      Metric: { Namespace: 'AWS/SageMaker', MetricName: q.metric, Dimensions: [{ Name: 'EndpointName', Value: name }, { Name: 'VariantName', Value: variant }] },
      Period: 60,
      Stat: q.stat,
    },
    ReturnData: true,
  })));
  let ok = false;
  await section(panel, 'Invocations, errors and latency per minute', async () => {
    const out = await api('cloudwatch', 'GetMetricData', { MetricDataQueries: queries, StartTime: end - WINDOW_S, EndTime: end, ScanBy: 'TimestampAscending' });
    ok = true;
    const minutes = Array.from({ length: WINDOW_S / 60 }, (_, i) => end - WINDOW_S + i * 60);
    const sumOf = (id, mean) => minutes.map((m) => {
      const vals = (out.MetricDataResults ?? []).filter((r) => r.Id.startsWith(`${id}v`)).flatMap((r) => (r.Timestamps ?? []).map((t, i) => [toDate(t).getTime() / 1000, r.Values[i]]).filter(([t]) => Math.floor(t / 60) * 60 === m).map(([, v]) => v));
      if (!vals.length) return mean ? null : 0;
      const s = vals.reduce((a, b) => a + b, 0);
      return mean ? s / vals.length : s;
    });
    const box = h('div', { class: 'grid' });
    const a = h('div'), b = h('div');
    box.append(a, b);
    charts.cw1?.destroy();
    charts.cw2?.destroy();
    charts.cw1 = lineChart(a, { title: 'Invocations and errors per minute', series: ['Invocations', '4XX errors', '5XX errors'], time: true, xLabel: 'minute' });
    charts.cw2 = lineChart(b, { title: 'Latency, average per minute (µs)', series: ['ModelLatency', 'OverheadLatency'], time: true, xLabel: 'minute' });
    requestAnimationFrame(() => {
      charts.cw1.set(minutes, sumOf('invocations'), sumOf('errors4xx'), sumOf('errors5xx'));
      charts.cw2.set(minutes, sumOf('modellatency', true), sumOf('overheadlatency', true));
    });
    return box;
  });
  if (!ok && !panel.isConnected) throw Object.assign(new Error('off'), { stop: 'cloudwatch' });
}

async function scalingTimeline(panel, name, variantNames, charts, desiredNow) {
  let ok = false;
  await section(panel, 'Scaling activities', async () => {
    const acts = [];
    const targets = [];
    for (const v of variantNames) {
      const resourceId = `endpoint/${name}/variant/${v}`;
      acts.push(...(await api('autoscaling', 'DescribeScalingActivities', { ServiceNamespace: 'sagemaker', ResourceId: resourceId, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' })).ScalingActivities ?? []);
      targets.push(...(await api('autoscaling', 'DescribeScalableTargets', { ServiceNamespace: 'sagemaker', ResourceIds: [resourceId], ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' })).ScalableTargets ?? []);
    }
    ok = true;
    acts.sort((x, y) => toDate(x.StartTime) - toDate(y.StartTime));
    // The desired count each activity set ("Setting desired instance count to N.").
    const steps = acts.map((a) => ({ t: toDate(a.StartTime).getTime() / 1000, n: Number(/desired instance count to (\d+)/i.exec(a.Description ?? '')?.[1]) })).filter((s) => Number.isFinite(s.n));
    // The line runs on to now at the endpoint's current desired count.
    if (steps.length) steps.push({ t: Math.max(steps[steps.length - 1].t, (await emulatorNow()) / 1000), n: desiredNow });
    const box = h('div', null,
      targets.length ? h('div', { class: 'muted' }, targets.map((t) => `${t.ResourceId}: min ${t.MinCapacity}, max ${t.MaxCapacity}`).join(' · ')) : h('div', { class: 'muted' }, 'No scalable target registered.'));
    const chartBox = h('div');
    box.append(chartBox, table(['Start', 'Status', 'Description', 'Cause'], [...acts].reverse().slice(0, 50).map((a) => [fmtTime(a.StartTime), badge(a.StatusCode), a.Description ?? '', a.Cause ?? ''])));
    if (steps.length) {
      charts.scale?.destroy();
      charts.scale = lineChart(chartBox, { title: 'Desired instances (from the scaling activities)', series: ['desired instances'], time: true, xLabel: 'time', stepped: true, height: 160 });
      requestAnimationFrame(() => charts.scale.set(steps.map((s) => s.t), steps.map((s) => s.n)));
    }
    return box;
  });
  if (!ok && !panel.isConnected) throw Object.assign(new Error('off'), { stop: 'scaling' });
}

async function alarmTable(panel, name) {
  let ok = false;
  await section(panel, 'Alarms', async () => {
    const all = await listAll('cloudwatch', 'DescribeAlarms', { MaxRecords: 100 }, 'MetricAlarms');
    ok = true;
    const mine = all.filter((a) => (a.Dimensions ?? []).some((d) => d.Name === 'EndpointName' && d.Value === name) || (a.Metrics ?? []).some((m) => (m.MetricStat?.Metric?.Dimensions ?? []).some((d) => d.Name === 'EndpointName' && d.Value === name)));
    return table(['Alarm', 'State', 'Since', 'Condition'], mine.map((a) => [a.AlarmName, badge(a.StateValue), fmtTime(a.StateUpdatedTimestamp), `${a.MetricName ?? 'metric'} ${a.ComparisonOperator ?? ''} ${a.Threshold ?? ''} for ${a.EvaluationPeriods ?? '?'} × ${a.Period ?? '?'} s`]));
  });
  if (!ok && !panel.isConnected) throw Object.assign(new Error('off'), { stop: 'alarms' });
}
