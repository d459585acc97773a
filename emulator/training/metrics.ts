export interface MetricDefinition {
  Name: string;
  Regex: string;
}

export interface ScrapedMetric {
  MetricName: string;
  Value: number;
  Timestamp: Date;
}

/**
 * Scrapes metrics from log lines with the service's metric-definition regexes; the last value of
 * each metric is the final one, as in FinalMetricDataList.
 */
export class MetricScraper {
  private readonly compiled: { name: string; re: RegExp }[];
  private readonly last = new Map<string, ScrapedMetric>();
  /** The built-in algorithms' regexes all match `#...` lines: a cheap test skips the rest. */
  private readonly onlyHashLines: boolean;

  constructor(
    definitions: MetricDefinition[],
    /** Called with every value scraped (CloudWatch's /aws/sagemaker/TrainingJobs metrics). */
    private readonly onMetric?: (m: ScrapedMetric) => void,
  ) {
    this.compiled = definitions.flatMap((d) => {
      try {
        return [{ name: d.Name, re: new RegExp(d.Regex) }];
      } catch {
        return [];
      }
    });
    this.onlyHashLines = definitions.every((d) => d.Regex.includes('#'));
  }

  observe(line: string, at: Date): void {
    if (this.onlyHashLines && !line.includes('#')) return;
    for (const { name, re } of this.compiled) {
      const m = re.exec(line);
      if (!m) continue;
      const value = Number(m[1]);
      if (!Number.isFinite(value)) continue;
      const scraped = { MetricName: name, Value: value, Timestamp: at };
      this.last.set(name, scraped);
      this.onMetric?.(scraped);
    }
  }

  final(): ScrapedMetric[] {
    return [...this.last.values()];
  }
}
