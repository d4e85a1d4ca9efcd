/**
 * The SQLite schema, versioned with `PRAGMA user_version`: migration i brings a file from version i
 * to i+1 inside one transaction, so a crash mid-upgrade leaves the old version intact. Never edit a
 * shipped migration; append a new one.
 */
import type Database from 'better-sqlite3';

/** 'SgNS': marks the file as a SegNAS Studio store for `file(1)` and for our own open check. */
export const APPLICATION_ID = 0x53674e53;

const EXPERIMENT_STATUS_SQL = "('running','paused','stopped','finished','failed','interrupted')";
const CANDIDATE_STATUS_SQL = "('running','trained','cached','illegal','oom','failed')";

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE experiments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ${EXPERIMENT_STATUS_SQL}),
    status_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    config TEXT NOT NULL CHECK (json_valid(config)),
    dataset_fingerprint TEXT NOT NULL,
    seeds TEXT NOT NULL CHECK (json_valid(seeds)),
    splits TEXT NOT NULL CHECK (json_valid(splits)),
    backend TEXT NOT NULL,
    device TEXT NOT NULL,
    software_version TEXT NOT NULL,
    owner_pid INTEGER,
    owner_host TEXT,
    heartbeat_at TEXT,
    best_seq INTEGER,
    best_f REAL,
    best_val_dice REAL
  );
  CREATE INDEX experiments_status ON experiments(status);

  CREATE TABLE candidates (
    experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL CHECK (seq >= 0),
    x TEXT NOT NULL CHECK (json_valid(x)),
    key TEXT NOT NULL,
    spec TEXT NOT NULL CHECK (json_valid(spec)),
    status TEXT NOT NULL CHECK (status IN ${CANDIDATE_STATUS_SQL}),
    reason TEXT,
    f REAL,
    val_dice REAL,
    per_label_dice TEXT CHECK (per_label_dice IS NULL OR json_valid(per_label_dice)),
    param_count INTEGER,
    est_memory_bytes INTEGER,
    device TEXT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    curve TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(curve)),
    PRIMARY KEY (experiment_id, seq)
  );
  CREATE INDEX candidates_key ON candidates(experiment_id, key);
  CREATE INDEX candidates_status ON candidates(experiment_id, status);

  CREATE TABLE objective_cache (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('trained','illegal','oom','failed')),
    f REAL NOT NULL,
    val_dice REAL,
    per_label_dice TEXT CHECK (per_label_dice IS NULL OR json_valid(per_label_dice)),
    param_count INTEGER,
    reason TEXT,
    details TEXT CHECK (details IS NULL OR json_valid(details)),
    source_experiment_id INTEGER REFERENCES experiments(id) ON DELETE SET NULL,
    source_seq INTEGER,
    created_at TEXT NOT NULL,
    PRIMARY KEY (scope, key)
  );

  CREATE TABLE artifacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    seq INTEGER,
    kind TEXT NOT NULL CHECK (kind IN ('model','prediction','report')),
    path TEXT NOT NULL,
    meta TEXT CHECK (meta IS NULL OR json_valid(meta)),
    created_at TEXT NOT NULL,
    FOREIGN KEY (experiment_id, seq) REFERENCES candidates(experiment_id, seq) ON DELETE CASCADE
  );
  CREATE INDEX artifacts_experiment ON artifacts(experiment_id, seq);

  CREATE TABLE test_evaluations (
    experiment_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    split INTEGER NOT NULL CHECK (split >= 0),
    per_label_dice TEXT NOT NULL CHECK (json_valid(per_label_dice)),
    mean_dice REAL NOT NULL,
    per_subject TEXT CHECK (per_subject IS NULL OR json_valid(per_subject)),
    created_at TEXT NOT NULL,
    PRIMARY KEY (experiment_id, seq, split),
    FOREIGN KEY (experiment_id, seq) REFERENCES candidates(experiment_id, seq) ON DELETE CASCADE
  );

  PRAGMA application_id = ${APPLICATION_ID};
  `,
  // The owner's process start identity (liveness.ts): a pid alone may be a zombie or a reused pid.
  `
  ALTER TABLE experiments ADD COLUMN owner_started TEXT;
  `,
  // The cluster job of each candidate trained on Slurm: what a resume re-attaches to. A table of its
  // own (not columns of candidates), written only by the controller.
  `
  CREATE TABLE candidate_jobs (
    experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL CHECK (seq >= 0),
    job_id TEXT,
    state TEXT NOT NULL,
    node TEXT,
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (experiment_id, seq)
  );
  `,
  // Candidates stopped early by a pruning rule get the status 'pruned', and the objective cache
  // remembers them. SQLite cannot alter a CHECK, so both tables are rebuilt: copy, drop, rename.
  // migrate() turns foreign keys off around it, so dropping the old candidates table cannot cascade
  // into the artifacts and test evaluations that reference it.
  `
  CREATE TABLE candidates_rebuilt (
    experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL CHECK (seq >= 0),
    x TEXT NOT NULL CHECK (json_valid(x)),
    key TEXT NOT NULL,
    spec TEXT NOT NULL CHECK (json_valid(spec)),
    status TEXT NOT NULL CHECK (status IN ('running','trained','cached','illegal','oom','failed','pruned')),
    reason TEXT,
    f REAL,
    val_dice REAL,
    per_label_dice TEXT CHECK (per_label_dice IS NULL OR json_valid(per_label_dice)),
    param_count INTEGER,
    est_memory_bytes INTEGER,
    device TEXT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    curve TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(curve)),
    PRIMARY KEY (experiment_id, seq)
  );
  INSERT INTO candidates_rebuilt (experiment_id, seq, x, key, spec, status, reason, f, val_dice,
      per_label_dice, param_count, est_memory_bytes, device, started_at, ended_at, curve)
    SELECT experiment_id, seq, x, key, spec, status, reason, f, val_dice,
      per_label_dice, param_count, est_memory_bytes, device, started_at, ended_at, curve
    FROM candidates;
  DROP TABLE candidates;
  ALTER TABLE candidates_rebuilt RENAME TO candidates;
  CREATE INDEX candidates_key ON candidates(experiment_id, key);
  CREATE INDEX candidates_status ON candidates(experiment_id, status);

  CREATE TABLE objective_cache_rebuilt (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('trained','illegal','oom','failed','pruned')),
    f REAL NOT NULL,
    val_dice REAL,
    per_label_dice TEXT CHECK (per_label_dice IS NULL OR json_valid(per_label_dice)),
    param_count INTEGER,
    reason TEXT,
    details TEXT CHECK (details IS NULL OR json_valid(details)),
    source_experiment_id INTEGER REFERENCES experiments(id) ON DELETE SET NULL,
    source_seq INTEGER,
    created_at TEXT NOT NULL,
    PRIMARY KEY (scope, key)
  );
  INSERT INTO objective_cache_rebuilt (scope, key, status, f, val_dice, per_label_dice, param_count,
      reason, details, source_experiment_id, source_seq, created_at)
    SELECT scope, key, status, f, val_dice, per_label_dice, param_count,
      reason, details, source_experiment_id, source_seq, created_at
    FROM objective_cache;
  DROP TABLE objective_cache;
  ALTER TABLE objective_cache_rebuilt RENAME TO objective_cache;
  `,
  // The peak memory a trainer measured for a candidate, beside the estimate made before training.
  `
  ALTER TABLE candidates ADD COLUMN peak_memory_bytes INTEGER CHECK (peak_memory_bytes IS NULL OR peak_memory_bytes >= 0);
  `,
  // The final training of the search's best architectures (retrained on train + validation, then
  // tested): one row per candidate, the stage's plan and its resume state in one place.
  `
  CREATE TABLE final_trainings (
    experiment_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    epochs INTEGER NOT NULL CHECK (epochs >= 1),
    status TEXT NOT NULL CHECK (status IN ('pending','running','trained','tested','failed')),
    reason TEXT,
    param_count INTEGER,
    seconds REAL,
    curve TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(curve)),
    mean_dice REAL,
    per_label_dice TEXT CHECK (per_label_dice IS NULL OR json_valid(per_label_dice)),
    per_subject TEXT CHECK (per_subject IS NULL OR json_valid(per_subject)),
    device TEXT,
    started_at TEXT,
    ended_at TEXT,
    PRIMARY KEY (experiment_id, seq),
    FOREIGN KEY (experiment_id, seq) REFERENCES candidates(experiment_id, seq) ON DELETE CASCADE
  );
  `,
  // The cluster job of each final training run on Slurm (as candidate_jobs for the search's): what a
  // resume after a restart or kill -9 re-attaches to instead of training the final model again.
  `
  CREATE TABLE final_training_jobs (
    experiment_id INTEGER NOT NULL,
    seq INTEGER NOT NULL CHECK (seq >= 0),
    job_id TEXT,
    state TEXT NOT NULL,
    node TEXT,
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (experiment_id, seq),
    FOREIGN KEY (experiment_id, seq) REFERENCES candidates(experiment_id, seq) ON DELETE CASCADE
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings `db` to SCHEMA_VERSION. Refuses files written by a newer version (whose rows this code
 * would misread) and SQLite files that belong to another program. Two processes opening a new
 * workspace at once are safe: the upgrade re-reads the version under the write lock.
 */
export function migrate(db: Database.Database, filePath: string): void {
  if (checkVersion(db, filePath) === SCHEMA_VERSION) return;
  // A migration may rebuild a table (SQLite cannot alter a CHECK): with foreign keys on, dropping the
  // old table would delete every row that references it (ON DELETE CASCADE). The pragma is a no-op
  // inside a transaction, so it is switched off around it, and the references are checked before commit.
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    db.transaction(() => {
      for (let v = checkVersion(db, filePath); v < SCHEMA_VERSION; v++) {
        db.exec(MIGRATIONS[v]);
        db.pragma(`user_version = ${v + 1}`);
      }
      const broken = db.pragma('foreign_key_check') as unknown[];
      if (broken.length > 0)
        throw new Error(
          `${filePath}: upgrading the store would leave ${broken.length} rows pointing at rows that do not exist; the file was left as it was`,
        );
    }).immediate();
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
}

function checkVersion(db: Database.Database, filePath: string): number {
  const version = db.pragma('user_version', { simple: true }) as number;
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (appId !== 0 && appId !== APPLICATION_ID) {
    throw new Error(
      `${filePath} is an SQLite database of another program (application_id ${appId}); choose another workspace folder`,
    );
  }
  if (version === 0) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
      n: number;
    };
    if (tables.n > 0) {
      throw new Error(
        `${filePath} already holds tables that are not a SegNAS Studio store; choose another workspace folder`,
      );
    }
  }
  if (version > SCHEMA_VERSION) {
    throw new Error(
      `${filePath} was written by a newer SegNAS Studio (store schema ${version}, this version knows up to ${SCHEMA_VERSION}); update the app to open it`,
    );
  }
  return version;
}
