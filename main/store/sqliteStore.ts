/**
 * ExperimentStore on better-sqlite3. WAL lets the UI, the CLI and other tools read while a search
 * writes (also from other processes); every change of several rows is one transaction, so a kill -9
 * leaves either the old or the new state.
 */
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { experimentCacheScope } from './cacheScope';
import type { ExperimentStore, StatusChange } from './experimentStore';
import { currentOwner, interruptionCause, isOwnerAlive } from './liveness';
import {
  type ArtifactRow,
  type CacheRow,
  type CandidateRecordRow,
  type CandidateRow,
  type ExperimentRow,
  emptyCounts,
  type FinalTrainingRow,
  jsonOrNull,
  nowIso,
  type SummaryRow,
  storedArtifactPath,
  type TestEvaluationRow,
  toArtifact,
  toCacheEntry,
  toCandidate,
  toCandidateRecord,
  toExperiment,
  toFinalTraining,
  toSummary,
  toTestEvaluation,
} from './rows';
import { migrate } from './schema';
import { canTransition, transitionError } from './status';
import type {
  Artifact,
  ArtifactKind,
  CacheEntry,
  Candidate,
  CandidateCounts,
  CandidateJob,
  CandidateJobUpdate,
  CandidateRecord,
  CandidateResult,
  CandidateSortKey,
  CandidateStart,
  CandidateStatus,
  EpochRecord,
  Experiment,
  ExperimentStatus,
  ExperimentSummary,
  FinalEpoch,
  FinalTraining,
  FinalTrainingUpdate,
  FindInterruptedOptions,
  InterruptedExperiment,
  ListCandidatesOptions,
  NewArtifact,
  NewCacheEntry,
  NewExperiment,
  NewTestEvaluation,
  ProcessOwner,
  TestEvaluation,
} from './types';
import { CANDIDATE_SORT_KEYS, CANDIDATE_STATUSES } from './types';

/** A writer holding the lock (a checkpoint, another process's transaction) is waited for this long. */
const BUSY_TIMEOUT_MS = 10_000;
const DEFAULT_STALE_AFTER_MS = 10 * 60_000;

const SORT_SQL: Record<CandidateSortKey, string> = {
  seq: 'seq',
  valDice: 'val_dice',
  f: 'f',
  params: 'param_count',
  memory: 'est_memory_bytes',
  startedAt: 'started_at',
  duration: '(julianday(ended_at) - julianday(started_at))',
};

const CANDIDATE_COLUMNS_NO_CURVE = `experiment_id, seq, x, key, spec, status, reason, f, val_dice, per_label_dice,
  param_count, est_memory_bytes, peak_memory_bytes, device, started_at, ended_at, '[]' AS curve`;

const SUMMARY_COLUMNS = `id, name, status, status_reason, created_at, updated_at,
  json_extract(config, '$.variant') AS variant,
  json_extract(config, '$.datasetPath') AS dataset_path,
  json_extract(config, '$.budget.evaluations') AS evaluations_budget,
  backend, device, owner_pid, owner_host, owner_started, heartbeat_at, best_seq, best_f, best_val_dice`;

/**
 * The store of a workspace that cannot be written (a read-only mount, another user's folder), opened
 * from a snapshot: SQLite cannot read a WAL-mode file read-only without creating its -shm beside it.
 * The snapshot is unlinked at once (the open handle keeps it readable) so nothing is left behind.
 * Undefined when the workspace is writable (the error was something else) or the snapshot fails.
 */
function openReadOnly(filePath: string, workspaceDir: string): Database.Database | undefined {
  const writable = (p: string) => {
    try {
      accessSync(p, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (!existsSync(filePath) || (writable(workspaceDir) && writable(filePath))) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'segnas-readonly-'));
  try {
    const copy = join(dir, 'segnas.sqlite');
    // Copies keep the source's read-only mode bits; the snapshot must be writable to flatten its WAL.
    copyFileSync(filePath, copy);
    chmodSync(copy, 0o600);
    if (existsSync(`${filePath}-wal`)) {
      copyFileSync(`${filePath}-wal`, `${copy}-wal`);
      chmodSync(`${copy}-wal`, 0o600);
    }
    const flatten = new Database(copy);
    flatten.pragma('journal_mode = DELETE');
    flatten.close();
    const db = new Database(copy, { readonly: true, fileMustExist: true });
    db.pragma('foreign_keys = ON');
    return db;
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function openSqliteStore(filePath: string, workspaceDir: string): SqliteExperimentStore {
  mkdirSync(workspaceDir, { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(filePath, { timeout: BUSY_TIMEOUT_MS });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL survives process crashes; only an OS crash can lose the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  } catch (error) {
    // A workspace on a read-only mount, or shared read-only: it can still be listed and viewed.
    const readOnly = openReadOnly(filePath, workspaceDir);
    if (!readOnly)
      throw new Error(`cannot open the experiment store ${filePath}: ${(error as Error).message}`);
    db = readOnly;
  }
  try {
    migrate(db, filePath);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteExperimentStore(db, filePath, workspaceDir);
}

export class SqliteExperimentStore implements ExperimentStore {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    readonly filePath: string,
    readonly workspaceDir: string,
  ) {}

  /** Statements are prepared once per distinct SQL text and reused. */
  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private experimentRow(id: number): ExperimentRow | undefined {
    return this.stmt('SELECT * FROM experiments WHERE id = ?').get(id) as ExperimentRow | undefined;
  }

  private requireExperimentRow(id: number): ExperimentRow {
    const row = this.experimentRow(id);
    if (!row)
      throw new Error(`no experiment ${id} in ${this.filePath}; \`segnas list\` shows the experiments there`);
    return row;
  }

  private candidateRow(experimentId: number, seq: number): CandidateRow | undefined {
    return this.stmt('SELECT * FROM candidates WHERE experiment_id = ? AND seq = ?').get(experimentId, seq) as
      | CandidateRow
      | undefined;
  }

  createExperiment(input: NewExperiment): Experiment {
    const now = nowIso();
    const status = input.status ?? 'running';
    const owner = status === 'running' ? currentOwner() : null;
    const info = this.stmt(
      `INSERT INTO experiments (name, status, created_at, updated_at, config, dataset_fingerprint, seeds, splits,
         backend, device, software_version, owner_pid, owner_host, owner_started, heartbeat_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      input.name,
      status,
      now,
      now,
      JSON.stringify(input.config),
      input.datasetFingerprint,
      JSON.stringify(input.seeds),
      JSON.stringify(input.splits),
      input.backend,
      input.device,
      input.softwareVersion,
      owner?.pid ?? null,
      owner?.host ?? null,
      owner?.started ?? null,
      owner ? now : null,
    );
    return toExperiment(this.requireExperimentRow(Number(info.lastInsertRowid)));
  }

  getExperiment(id: number): Experiment | null {
    const row = this.experimentRow(id);
    return row ? toExperiment(row) : null;
  }

  listExperiments(filter: { status?: ExperimentStatus[] } = {}): ExperimentSummary[] {
    const statuses = filter.status ?? [];
    const where = statuses.length > 0 ? `WHERE status IN (${statuses.map(() => '?').join(',')})` : '';
    const read = this.db.transaction(() => {
      const rows = this.stmt(`SELECT ${SUMMARY_COLUMNS} FROM experiments ${where} ORDER BY id DESC`).all(
        ...statuses,
      ) as SummaryRow[];
      const countRows = this.stmt(
        'SELECT experiment_id, status, count(*) AS n FROM candidates GROUP BY experiment_id, status',
      ).all() as { experiment_id: number; status: CandidateStatus; n: number }[];
      return { rows, countRows };
    });
    // One read transaction: the counts match the rows even while a search writes.
    const { rows, countRows } = read();
    const counts = new Map<number, CandidateCounts>();
    for (const c of countRows) {
      const entry = counts.get(c.experiment_id) ?? emptyCounts();
      entry[c.status] = c.n;
      counts.set(c.experiment_id, entry);
    }
    return rows.map((row) => toSummary(row, counts.get(row.id) ?? emptyCounts()));
  }

  updateExperimentStatus(id: number, status: ExperimentStatus, change: StatusChange = {}): Experiment {
    const apply = this.db.transaction(() => {
      const row = this.requireExperimentRow(id);
      if (row.status === 'running' && status === 'running') {
        throw new Error(
          `experiment ${id} is already running (process ${row.owner_pid} on ${row.owner_host}); stop it there first`,
        );
      }
      if (!canTransition(row.status, status)) throw new Error(transitionError(id, row.status, status));
      const now = nowIso();
      const owner = status === 'running' ? (change.owner ?? currentOwner()) : null;
      this.stmt(
        `UPDATE experiments SET status = ?, status_reason = ?, updated_at = ?, owner_pid = ?, owner_host = ?,
           owner_started = ?, heartbeat_at = CASE WHEN ? THEN ? ELSE heartbeat_at END
         WHERE id = ?`,
      ).run(
        status,
        change.reason ?? null,
        now,
        owner?.pid ?? null,
        owner?.host ?? null,
        owner?.started ?? null,
        owner ? 1 : 0,
        now,
        id,
      );
      return toExperiment(this.requireExperimentRow(id));
    });
    // IMMEDIATE: two processes resuming the same experiment cannot both see it as not running.
    return apply.immediate();
  }

  heartbeat(id: number, owner: ProcessOwner = currentOwner()): boolean {
    const info = this.stmt(
      `UPDATE experiments SET heartbeat_at = ?
       WHERE id = ? AND status = 'running' AND owner_pid = ? AND owner_host = ?`,
    ).run(nowIso(), id, owner.pid, owner.host);
    return info.changes === 1;
  }

  findInterrupted(options: FindInterruptedOptions = {}): InterruptedExperiment[] {
    const here = {
      host: hostname(),
      now: options.now ?? new Date(),
      staleAfterMs: options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS,
      isAlive: isOwnerAlive,
      self: currentOwner(),
    };
    const runsHere = options.runsHere;
    const found: InterruptedExperiment[] = [];
    for (const experiment of this.listExperiments({ status: ['running'] })) {
      const cause = interruptionCause(experiment.owner, experiment.heartbeatAt, {
        ...here,
        runsHere: runsHere && (() => runsHere(experiment.id)),
      });
      if (cause) found.push({ experiment, cause });
    }
    return found;
  }

  deleteExperiment(id: number): void {
    this.db.transaction(() => {
      this.requireExperimentRow(id);
      this.stmt('DELETE FROM objective_cache WHERE scope = ?').run(experimentCacheScope(id));
      this.stmt('DELETE FROM experiments WHERE id = ?').run(id);
    })();
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  recordCandidateStart(experimentId: number, start: CandidateStart): Candidate {
    return this.db.transaction(() => this.startCandidate(experimentId, start)).immediate();
  }

  private startCandidate(experimentId: number, start: CandidateStart): Candidate {
    this.requireExperimentRow(experimentId);
    const info = this.stmt(
      `INSERT INTO candidates (experiment_id, seq, x, key, spec, status, device, param_count, est_memory_bytes,
         started_at, curve)
       VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, '[]')
       ON CONFLICT (experiment_id, seq) DO UPDATE SET
         x = excluded.x, key = excluded.key, spec = excluded.spec, status = 'running', reason = NULL, f = NULL,
         val_dice = NULL, per_label_dice = NULL, param_count = excluded.param_count,
         est_memory_bytes = excluded.est_memory_bytes, peak_memory_bytes = NULL, device = excluded.device,
         started_at = excluded.started_at, ended_at = NULL, curve = '[]'
       WHERE candidates.status = 'running'`,
    ).run(
      experimentId,
      start.seq,
      JSON.stringify(start.x),
      start.key,
      JSON.stringify(start.spec),
      start.device ?? null,
      start.paramCount ?? null,
      start.estMemoryBytes ?? null,
      start.startedAt ?? nowIso(),
    );
    if (info.changes === 0) {
      const existing = this.candidateRow(experimentId, start.seq)!;
      throw new Error(
        `candidate ${start.seq} of experiment ${experimentId} already finished (${existing.status}); ` +
          'a resumed search must replay finished candidates, not retrain them',
      );
    }
    return toCandidate(this.candidateRow(experimentId, start.seq)!);
  }

  recordCandidateEnd(experimentId: number, seq: number, result: CandidateResult): Candidate {
    return this.db.transaction(() => this.endCandidate(experimentId, seq, result)).immediate();
  }

  private endCandidate(experimentId: number, seq: number, result: CandidateResult): Candidate {
    const row = this.candidateRow(experimentId, seq);
    if (!row) throw new Error(`candidate ${seq} of experiment ${experimentId} was never started`);
    if (row.status !== 'running') {
      throw new Error(`candidate ${seq} of experiment ${experimentId} already finished (${row.status})`);
    }
    const now = nowIso();
    this.stmt(
      `UPDATE candidates SET status = ?, reason = ?, f = ?, val_dice = ?, per_label_dice = ?,
         param_count = coalesce(?, param_count), est_memory_bytes = coalesce(?, est_memory_bytes),
         peak_memory_bytes = ?, device = coalesce(?, device), ended_at = ?
       WHERE experiment_id = ? AND seq = ?`,
    ).run(
      result.status,
      result.reason ?? null,
      result.f,
      result.valDice ?? null,
      jsonOrNull(result.perLabelDice),
      result.paramCount ?? null,
      result.estMemoryBytes ?? null,
      result.peakMemoryBytes ?? null,
      result.device ?? null,
      result.endedAt ?? now,
      experimentId,
      seq,
    );
    const experiment = this.requireExperimentRow(experimentId);
    const counts = result.status === 'trained' || result.status === 'cached';
    // Strictly lower f replaces the best, so among equal f the earliest candidate stays best.
    const improves = counts && (experiment.best_f === null || result.f < experiment.best_f);
    this.stmt(
      `UPDATE experiments SET updated_at = ?,
         best_seq = CASE WHEN ? THEN ? ELSE best_seq END,
         best_f = CASE WHEN ? THEN ? ELSE best_f END,
         best_val_dice = CASE WHEN ? THEN ? ELSE best_val_dice END
       WHERE id = ?`,
    ).run(now, +improves, seq, +improves, result.f, +improves, result.valDice ?? null, experimentId);
    if (result.cacheScope && result.status !== 'cached') {
      this.cacheSet(result.cacheScope, row.key, {
        status: result.status,
        f: result.f,
        valDice: result.valDice ?? null,
        perLabelDice: result.perLabelDice ?? null,
        paramCount: result.paramCount ?? row.param_count,
        reason: result.reason ?? null,
        source: { experimentId, seq },
      });
    }
    return toCandidate(this.candidateRow(experimentId, seq)!);
  }

  recordCandidate(experimentId: number, start: CandidateStart, result: CandidateResult): Candidate {
    return this.db
      .transaction(() => {
        const at = result.endedAt ?? start.startedAt ?? nowIso();
        this.startCandidate(experimentId, { ...start, startedAt: start.startedAt ?? at });
        return this.endCandidate(experimentId, start.seq, { ...result, endedAt: at });
      })
      .immediate();
  }

  appendEpoch(experimentId: number, seq: number, epoch: EpochRecord): void {
    // json_insert with '$[#]' appends inside SQLite: no read-modify-write race with readers.
    const info = this.stmt(
      `UPDATE candidates SET curve = json_insert(curve, '$[#]', json(?))
       WHERE experiment_id = ? AND seq = ? AND status = 'running'`,
    ).run(JSON.stringify(epoch), experimentId, seq);
    if (info.changes === 0) {
      throw new Error(
        `candidate ${seq} of experiment ${experimentId} is not running; epochs belong to a training`,
      );
    }
  }

  appendEpochs(experimentId: number, seq: number, epochs: readonly EpochRecord[]): void {
    this.db
      .transaction(() => {
        const row = this.stmt(
          `SELECT curve FROM candidates WHERE experiment_id = ? AND seq = ? AND status = 'running'`,
        ).get(experimentId, seq) as { curve: string } | undefined;
        if (!row)
          throw new Error(
            `candidate ${seq} of experiment ${experimentId} is not running; epochs belong to a training`,
          );
        const curve = [...(JSON.parse(row.curve) as EpochRecord[]), ...epochs];
        this.stmt('UPDATE candidates SET curve = ? WHERE experiment_id = ? AND seq = ?').run(
          JSON.stringify(curve),
          experimentId,
          seq,
        );
      })
      .immediate();
  }

  getCandidate(experimentId: number, seq: number): Candidate | null {
    const row = this.candidateRow(experimentId, seq);
    return row ? toCandidate(row) : null;
  }

  private candidateFilter(
    experimentId: number,
    options: Pick<ListCandidatesOptions, 'status' | 'minValDice'>,
  ): { where: string; params: unknown[] } {
    const clauses = ['experiment_id = ?'];
    const params: unknown[] = [experimentId];
    const statuses = options.status === undefined ? [] : [options.status].flat();
    for (const s of statuses) {
      if (!CANDIDATE_STATUSES.includes(s)) throw new Error(`unknown candidate status "${s}"`);
    }
    if (statuses.length > 0) {
      clauses.push(`status IN (${statuses.map(() => '?').join(',')})`);
      params.push(...statuses);
    }
    if (options.minValDice !== undefined) {
      clauses.push('val_dice >= ?');
      params.push(options.minValDice);
    }
    return { where: clauses.join(' AND '), params };
  }

  listCandidates(experimentId: number, options: ListCandidatesOptions = {}): Candidate[] {
    const sortBy = options.sortBy ?? 'seq';
    if (!CANDIDATE_SORT_KEYS.includes(sortBy)) {
      throw new Error(`cannot sort candidates by "${sortBy}"; use one of ${CANDIDATE_SORT_KEYS.join(', ')}`);
    }
    const order = (options.order ?? (sortBy === 'valDice' ? 'desc' : 'asc')) === 'desc' ? 'DESC' : 'ASC';
    const expr = SORT_SQL[sortBy];
    const { where, params } = this.candidateFilter(experimentId, options);
    const page = options.limit !== undefined || options.offset !== undefined;
    const sql =
      `SELECT ${options.curves === false ? CANDIDATE_COLUMNS_NO_CURVE : '*'} FROM candidates WHERE ${where} ORDER BY (${expr}) IS NULL, ${expr} ${order}, seq ASC` +
      (page ? ' LIMIT ? OFFSET ?' : '');
    if (page) params.push(options.limit ?? -1, options.offset ?? 0);
    return (this.stmt(sql).all(...params) as CandidateRow[]).map(toCandidate);
  }

  listCandidateRecords(experimentId: number, page?: { afterSeq: number; limit: number }): CandidateRecord[] {
    // Arrays instead of row objects, and neither x nor curve: at 10,000 candidates this reads in a
    // third of the time of listCandidates without curves.
    const rows = this.stmt(
      `SELECT seq, key, spec, status, reason, f, val_dice, per_label_dice, param_count, est_memory_bytes,
         peak_memory_bytes, device, started_at, ended_at FROM candidates WHERE experiment_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    )
      .raw(true)
      .all(experimentId, page?.afterSeq ?? -1, page?.limit ?? -1) as CandidateRecordRow[];
    return rows.map((r) => toCandidateRecord(experimentId, r));
  }

  countCandidates(
    experimentId: number,
    options: Pick<ListCandidatesOptions, 'status' | 'minValDice'> = {},
  ): number {
    const { where, params } = this.candidateFilter(experimentId, options);
    return (this.stmt(`SELECT count(*) AS n FROM candidates WHERE ${where}`).get(...params) as { n: number })
      .n;
  }

  cacheGet(scope: string, key: string): CacheEntry | null {
    const row = this.stmt('SELECT * FROM objective_cache WHERE scope = ? AND key = ?').get(scope, key) as
      | CacheRow
      | undefined;
    return row ? toCacheEntry(row) : null;
  }

  cacheSet(scope: string, key: string, entry: NewCacheEntry): CacheEntry {
    this.stmt(
      `INSERT OR REPLACE INTO objective_cache (scope, key, status, f, val_dice, per_label_dice, param_count, reason,
         details, source_experiment_id, source_seq, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      scope,
      key,
      entry.status,
      entry.f,
      entry.valDice ?? null,
      jsonOrNull(entry.perLabelDice),
      entry.paramCount ?? null,
      entry.reason ?? null,
      jsonOrNull(entry.details),
      entry.source?.experimentId ?? null,
      entry.source?.seq ?? null,
      nowIso(),
    );
    return this.cacheGet(scope, key)!;
  }

  addArtifact(artifact: NewArtifact): Artifact {
    this.requireExperimentRow(artifact.experimentId);
    const seq = artifact.seq ?? null;
    if (seq !== null && !this.candidateRow(artifact.experimentId, seq)) {
      throw new Error(
        `experiment ${artifact.experimentId} has no candidate ${seq} to attach ${artifact.path} to`,
      );
    }
    const info = this.stmt(
      'INSERT INTO artifacts (experiment_id, seq, kind, path, meta, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(
      artifact.experimentId,
      seq,
      artifact.kind,
      storedArtifactPath(artifact.path, this.workspaceDir),
      jsonOrNull(artifact.meta),
      nowIso(),
    );
    const row = this.stmt('SELECT * FROM artifacts WHERE id = ?').get(info.lastInsertRowid) as ArtifactRow;
    return toArtifact(row, this.workspaceDir);
  }

  listArtifacts(experimentId: number, filter: { seq?: number | null; kind?: ArtifactKind } = {}): Artifact[] {
    const clauses = ['experiment_id = ?'];
    const params: unknown[] = [experimentId];
    if (filter.seq === null) clauses.push('seq IS NULL');
    else if (filter.seq !== undefined) {
      clauses.push('seq = ?');
      params.push(filter.seq);
    }
    if (filter.kind) {
      clauses.push('kind = ?');
      params.push(filter.kind);
    }
    const rows = this.stmt(`SELECT * FROM artifacts WHERE ${clauses.join(' AND ')} ORDER BY id`).all(
      ...params,
    ) as ArtifactRow[];
    return rows.map((row) => toArtifact(row, this.workspaceDir));
  }

  recordTestEvaluation(evaluation: NewTestEvaluation): TestEvaluation {
    const { experimentId, seq, split } = evaluation;
    const experiment = this.requireExperimentRow(experimentId);
    if (!this.candidateRow(experimentId, seq)) {
      throw new Error(`experiment ${experimentId} has no candidate ${seq} to evaluate on the test split`);
    }
    const splitCount = (JSON.parse(experiment.splits) as unknown[]).length;
    if (!Number.isInteger(split) || split < 0 || split >= splitCount) {
      throw new Error(`experiment ${experimentId} has ${splitCount} split(s); split ${split} does not exist`);
    }
    this.stmt(
      `INSERT OR REPLACE INTO test_evaluations (experiment_id, seq, split, per_label_dice, mean_dice, per_subject,
         created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      experimentId,
      seq,
      split,
      JSON.stringify(evaluation.perLabelDice),
      evaluation.meanDice,
      jsonOrNull(evaluation.perSubject),
      nowIso(),
    );
    return this.listTestEvaluations(experimentId, seq).find((e) => e.split === split)!;
  }

  listTestEvaluations(experimentId: number, seq?: number): TestEvaluation[] {
    const rows = (
      seq === undefined
        ? this.stmt('SELECT * FROM test_evaluations WHERE experiment_id = ? ORDER BY seq, split').all(
            experimentId,
          )
        : this.stmt('SELECT * FROM test_evaluations WHERE experiment_id = ? AND seq = ? ORDER BY split').all(
            experimentId,
            seq,
          )
    ) as TestEvaluationRow[];
    return rows.map(toTestEvaluation);
  }

  putFinalTraining(update: FinalTrainingUpdate): FinalTraining {
    const { experimentId, seq } = update;
    this.requireExperimentRow(experimentId);
    if (!this.candidateRow(experimentId, seq))
      throw new Error(`experiment ${experimentId} has no candidate ${seq} to train finally`);
    this.stmt(
      `INSERT INTO final_trainings (experiment_id, seq, epochs, status, reason, param_count, seconds, curve,
         mean_dice, per_label_dice, per_subject, device, started_at, ended_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (experiment_id, seq) DO UPDATE SET epochs = excluded.epochs, status = excluded.status,
         reason = excluded.reason, param_count = excluded.param_count, seconds = excluded.seconds,
         curve = CASE WHEN ? THEN excluded.curve ELSE curve END, mean_dice = excluded.mean_dice,
         per_label_dice = excluded.per_label_dice, per_subject = excluded.per_subject, device = excluded.device,
         started_at = excluded.started_at, ended_at = excluded.ended_at`,
    ).run(
      experimentId,
      seq,
      update.epochs,
      update.status,
      update.reason,
      update.paramCount,
      update.seconds,
      JSON.stringify(update.curve ?? []),
      update.meanDice,
      jsonOrNull(update.perLabelDice),
      jsonOrNull(update.perSubject),
      update.device,
      update.startedAt,
      update.endedAt,
      update.curve ? 1 : 0,
    );
    return this.listFinalTrainings(experimentId).find((f) => f.seq === seq)!;
  }

  appendFinalEpoch(experimentId: number, seq: number, epoch: FinalEpoch): void {
    const info = this.stmt(
      `UPDATE final_trainings SET curve = json_insert(curve, '$[#]', json(?))
       WHERE experiment_id = ? AND seq = ? AND status = 'running'`,
    ).run(JSON.stringify(epoch), experimentId, seq);
    if (info.changes === 0)
      throw new Error(
        `the final training of candidate ${seq} of experiment ${experimentId} is not running; epochs belong to a training`,
      );
  }

  listFinalTrainings(experimentId: number): FinalTraining[] {
    const rows = this.stmt('SELECT * FROM final_trainings WHERE experiment_id = ? ORDER BY seq').all(
      experimentId,
    ) as FinalTrainingRow[];
    return rows.map(toFinalTraining);
  }

  putCandidateJob(job: CandidateJobUpdate): CandidateJob {
    return this.putJob('candidate_jobs', job);
  }

  listCandidateJobs(experimentId: number): CandidateJob[] {
    return this.listJobs('candidate_jobs', experimentId);
  }

  putFinalTrainingJob(job: CandidateJobUpdate): CandidateJob {
    return this.putJob('final_training_jobs', job);
  }

  deleteFinalTrainingJob(experimentId: number, seq: number): void {
    this.stmt('DELETE FROM final_training_jobs WHERE experiment_id = ? AND seq = ?').run(experimentId, seq);
  }

  listFinalTrainingJobs(experimentId: number): CandidateJob[] {
    return this.listJobs('final_training_jobs', experimentId);
  }

  private putJob(table: 'candidate_jobs' | 'final_training_jobs', job: CandidateJobUpdate): CandidateJob {
    const updatedAt = nowIso();
    this.stmt(
      `INSERT OR REPLACE INTO ${table} (experiment_id, seq, job_id, state, node, attempts, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(job.experimentId, job.seq, job.jobId, job.state, job.node, job.attempts, updatedAt);
    return { ...job, updatedAt };
  }

  private listJobs(table: 'candidate_jobs' | 'final_training_jobs', experimentId: number): CandidateJob[] {
    const rows = this.stmt(`SELECT * FROM ${table} WHERE experiment_id = ? ORDER BY seq`).all(
      experimentId,
    ) as {
      experiment_id: number;
      seq: number;
      job_id: string | null;
      state: string;
      node: string | null;
      attempts: number;
      updated_at: string;
    }[];
    return rows.map((r) => ({
      experimentId: r.experiment_id,
      seq: r.seq,
      jobId: r.job_id,
      state: r.state,
      node: r.node,
      attempts: r.attempts,
      updatedAt: r.updated_at,
    }));
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }
}
