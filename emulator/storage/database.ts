import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Resources are scoped to an account and region, as on AWS. */
export interface Scope {
  accountId: string;
  region: string;
}

export interface StoredResource<T> {
  kind: string;
  name: string;
  arn: string;
  data: T;
}

export interface LogStreamSummary {
  name: string;
  firstEvent: number;
  lastEvent: number;
  created: number;
  lastIngested: number;
  bytes: number;
}

export interface MetricMinuteRow {
  account: string;
  region: string;
  namespace: string;
  metric: string;
  /** Dimensions as [[name, value], ...] sorted by name. */
  dims: string;
  minute: number;
  unit: string;
  count: number;
  sum: number;
  min: number;
  max: number;
}

export interface LogEvent {
  timestamp: number; // epoch ms
  message: string;
}

// Dates survive the JSON round trip as {"$date": ms}, so records come back with real Dates.
function encode(value: unknown): string {
  return JSON.stringify(value, function (this: any, key: string, v: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { $date: raw.getTime() } : v;
  });
}
function decode<T>(text: string): T {
  return JSON.parse(text, (_k, v) => (v && typeof v === 'object' && typeof v.$date === 'number' ? new Date(v.$date) : v));
}

/**
 * All state lives in one SQLite file, so a restart loses nothing. Resource bodies are stored as
 * JSON documents keyed by (account, region, kind, lower-cased name): SageMaker names are unique
 * regardless of case, and ARNs carry the lower-cased name.
 */
export class Database {
  private readonly db: BetterSqlite3.Database;
  private readonly stmts;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new BetterSqlite3(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS resources (
        account TEXT NOT NULL, region TEXT NOT NULL, kind TEXT NOT NULL, name_key TEXT NOT NULL,
        name TEXT NOT NULL, arn TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (account, region, kind, name_key));
      CREATE UNIQUE INDEX IF NOT EXISTS resources_arn ON resources(arn);
      CREATE TABLE IF NOT EXISTS tags (arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (arn, key));
      CREATE TABLE IF NOT EXISTS log_events (
        account TEXT NOT NULL, region TEXT NOT NULL, grp TEXT NOT NULL, stream TEXT NOT NULL,
        id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, ingested INTEGER NOT NULL, message TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS log_events_stream ON log_events(account, region, grp, stream, id);
      CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS metric_minutes (
        account TEXT NOT NULL, region TEXT NOT NULL, namespace TEXT NOT NULL, metric TEXT NOT NULL, dims TEXT NOT NULL,
        minute INTEGER NOT NULL, unit TEXT NOT NULL, count REAL NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL,
        PRIMARY KEY (account, region, namespace, metric, dims, minute));
    `);
    this.stmts = {
      get: this.db.prepare('SELECT name, arn, data FROM resources WHERE account=? AND region=? AND kind=? AND name_key=?'),
      insert: this.db.prepare('INSERT INTO resources (account, region, kind, name_key, name, arn, seq, data) VALUES (?,?,?,?,?,?,?,?)'),
      update: this.db.prepare('UPDATE resources SET data=? WHERE account=? AND region=? AND kind=? AND name_key=?'),
      del: this.db.prepare('DELETE FROM resources WHERE account=? AND region=? AND kind=? AND name_key=?'),
      list: this.db.prepare('SELECT name, arn, data FROM resources WHERE account=? AND region=? AND kind=? ORDER BY seq'),
      listAll: this.db.prepare('SELECT account, region, name, arn, data FROM resources WHERE kind=? ORDER BY seq'),
      byArn: this.db.prepare('SELECT kind, name, arn, data FROM resources WHERE arn=?'),
      nextSeq: this.db.prepare("INSERT INTO counters(name, value) VALUES ('seq', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value"),
      tags: this.db.prepare('SELECT key AS Key, value AS Value FROM tags WHERE arn=? ORDER BY rowid'),
      putTag: this.db.prepare('INSERT INTO tags(arn, key, value) VALUES (?,?,?) ON CONFLICT(arn, key) DO UPDATE SET value=excluded.value'),
      delTag: this.db.prepare('DELETE FROM tags WHERE arn=? AND key=?'),
      delTags: this.db.prepare('DELETE FROM tags WHERE arn=?'),
      putMinute: this.db.prepare(
        `INSERT INTO metric_minutes (account, region, namespace, metric, dims, minute, unit, count, sum, min, max) VALUES (?,?,?,?,?,?,?,?,?,?,?)
         ON CONFLICT(account, region, namespace, metric, dims, minute) DO UPDATE SET unit=excluded.unit, count=excluded.count, sum=excluded.sum, min=excluded.min, max=excluded.max`,
      ),
      minutes: this.db.prepare('SELECT * FROM metric_minutes ORDER BY minute'),
      pruneMinutes: this.db.prepare('DELETE FROM metric_minutes WHERE minute < ?'),
      getCounter: this.db.prepare('SELECT value FROM counters WHERE name=?'),
      setCounter: this.db.prepare('INSERT INTO counters(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value=excluded.value'),
      appendLog: this.db.prepare('INSERT INTO log_events (account, region, grp, stream, ts, ingested, message) VALUES (?,?,?,?,?,?,?)'),
      readLog: this.db.prepare('SELECT ts AS timestamp, message, ingested AS ingestionTime FROM log_events WHERE account=? AND region=? AND grp=? AND stream=? ORDER BY id'),
      streams: this.db.prepare(
        `SELECT stream AS name, MIN(ts) AS firstEvent, MAX(ts) AS lastEvent, MIN(ingested) AS created, MAX(ingested) AS lastIngested,
                SUM(LENGTH(CAST(message AS BLOB))) AS bytes
         FROM log_events WHERE account=? AND region=? AND grp=? AND substr(stream, 1, ?) = ? GROUP BY stream ORDER BY stream`,
      ),
      groups: this.db.prepare(
        `SELECT grp AS name, MIN(ingested) AS created, SUM(LENGTH(CAST(message AS BLOB))) AS bytes
         FROM log_events WHERE account=? AND region=? AND substr(grp, 1, ?) = ? GROUP BY grp ORDER BY grp`,
      ),
    };
  }

  get<T>(scope: Scope, kind: string, name: string): StoredResource<T> | undefined {
    const row = this.stmts.get.get(scope.accountId, scope.region, kind, name.toLowerCase()) as { name: string; arn: string; data: string } | undefined;
    return row && { kind, name: row.name, arn: row.arn, data: decode<T>(row.data) };
  }

  /** Inserts a new resource; returns false when the name is taken. */
  insert<T>(scope: Scope, kind: string, name: string, arn: string, data: T): boolean {
    const tx = this.db.transaction(() => {
      if (this.stmts.get.get(scope.accountId, scope.region, kind, name.toLowerCase())) return false;
      const seq = (this.stmts.nextSeq.get() as { value: number }).value;
      this.stmts.insert.run(scope.accountId, scope.region, kind, name.toLowerCase(), name, arn, seq, encode(data));
      return true;
    });
    return tx();
  }

  update<T>(scope: Scope, kind: string, name: string, data: T): void {
    this.stmts.update.run(encode(data), scope.accountId, scope.region, kind, name.toLowerCase());
  }

  delete(scope: Scope, kind: string, name: string): boolean {
    const row = this.get(scope, kind, name);
    if (!row) return false;
    this.db.transaction(() => {
      this.stmts.del.run(scope.accountId, scope.region, kind, name.toLowerCase());
      this.stmts.delTags.run(row.arn);
    })();
    return true;
  }

  /** In creation order. */
  list<T>(scope: Scope, kind: string): StoredResource<T>[] {
    return (this.stmts.list.all(scope.accountId, scope.region, kind) as { name: string; arn: string; data: string }[]).map((r) => ({
      kind,
      name: r.name,
      arn: r.arn,
      data: decode<T>(r.data),
    }));
  }

  /** Every resource of a kind in every scope (for recovery after a restart). */
  listEverywhere<T>(kind: string): (StoredResource<T> & { scope: Scope })[] {
    return (this.stmts.listAll.all(kind) as { account: string; region: string; name: string; arn: string; data: string }[]).map((r) => ({
      kind,
      name: r.name,
      arn: r.arn,
      data: decode<T>(r.data),
      scope: { accountId: r.account, region: r.region },
    }));
  }

  byArn(arn: string): { kind: string; name: string; arn: string } | undefined {
    return this.stmts.byArn.get(arn) as { kind: string; name: string; arn: string } | undefined;
  }

  tags(arn: string): { Key: string; Value: string }[] {
    return this.stmts.tags.all(arn) as { Key: string; Value: string }[];
  }

  addTags(arn: string, tags: { Key?: string; Value?: string }[]): void {
    this.db.transaction(() => {
      for (const t of tags) this.stmts.putTag.run(arn, t.Key ?? '', t.Value ?? '');
    })();
  }

  deleteTags(arn: string, keys: string[]): void {
    this.db.transaction(() => {
      for (const k of keys) this.stmts.delTag.run(arn, k);
    })();
  }

  /**
   * `ingestedAt` is on the emulator's clock, as the events' timestamps are (a wall-clock read
   * here would put ingestion hours before the events under --clock-scale); by default the events
   * are ingested as they are written, at the latest of their timestamps.
   */
  appendLogEvents(scope: Scope, group: string, stream: string, events: LogEvent[], ingestedAt = Math.max(...events.map((e) => e.timestamp))): void {
    this.db.transaction(() => {
      for (const e of events) this.stmts.appendLog.run(scope.accountId, scope.region, group, stream, e.timestamp, ingestedAt, e.message);
    })();
  }

  logEvents(scope: Scope, group: string, stream: string): (LogEvent & { ingestionTime: number })[] {
    return this.stmts.readLog.all(scope.accountId, scope.region, group, stream) as (LogEvent & { ingestionTime: number })[];
  }

  /** Streams of a log group with a name starting with `prefix`, in name order. */
  logStreams(scope: Scope, group: string, prefix = ''): LogStreamSummary[] {
    return this.stmts.streams.all(scope.accountId, scope.region, group, prefix.length, prefix) as LogStreamSummary[];
  }

  logGroups(scope: Scope, prefix = ''): { name: string; created: number; bytes: number }[] {
    return this.stmts.groups.all(scope.accountId, scope.region, prefix.length, prefix) as { name: string; created: number; bytes: number }[];
  }

  /** A named integer kept across restarts (e.g. how far a scaled clock had run). */
  counter(name: string): number | undefined {
    return (this.stmts.getCounter.get(name) as { value: number } | undefined)?.value;
  }

  setCounter(name: string, value: number): void {
    this.stmts.setCounter.run(name, Math.round(value));
  }

  /** CloudWatch per-minute aggregates (upserted: a minute is rewritten while it fills). */
  putMetricMinutes(rows: MetricMinuteRow[]): void {
    this.db.transaction(() => {
      for (const r of rows) this.stmts.putMinute.run(r.account, r.region, r.namespace, r.metric, r.dims, r.minute, r.unit, r.count, r.sum, r.min, r.max);
    })();
  }

  deleteMetricMinutesBefore(minute: number): void {
    this.stmts.pruneMinutes.run(minute);
  }

  metricMinutes(): MetricMinuteRow[] {
    return this.stmts.minutes.all() as MetricMinuteRow[];
  }

  close(): void {
    this.db.close();
  }
}
