/**
 * Local named volumes: `<root>/volumes/<name>/_data`, one row each in the state database.
 * Order of effects keeps the two in step across a crash: the row is written before the directory is
 * made; a removal first marks the row, then deletes the directory, then the row. `reconcile()` at start
 * mends whatever a crash left half done: a marked removal is finished, a row without its directory gets
 * it back (empty), and a directory without a row is deleted.
 */
import { chmod, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateDb } from '../db/state-db.ts';
import { conflict, invalid, notFound } from '../errors.ts';
import { generateId } from '../ids.ts';
import type { VolumeRecord, VolumeService } from './volume-service.ts';

const migrations = [
  `CREATE TABLE volumes (
     name TEXT PRIMARY KEY,
     created_at TEXT NOT NULL,
     labels TEXT NOT NULL,
     anonymous INTEGER NOT NULL
   );`,
  // A removal in progress: the directory may be partly deleted, so the volume is no longer served.
  'ALTER TABLE volumes ADD COLUMN removing INTEGER NOT NULL DEFAULT 0;',
];

const nameRule = '[a-zA-Z0-9][a-zA-Z0-9_.-]+';
const validName = new RegExp(`^${nameRule}$`);

interface Row {
  name: string;
  created_at: string;
  labels: string;
  anonymous: number;
  removing: number;
}

export interface VolumeStoreOptions {
  /**
   * Whether any container mounts the volume: `true`/`false`, or the ids of the containers using it (an
   * empty list means unused), which then appear in the error. The container store answers; volume/ sits
   * below engine/.
   */
  isInUse: (name: string) => boolean | readonly string[];
  onEvent?: (action: 'create' | 'destroy', name: string) => void;
}

export class VolumeStore implements VolumeService {
  private readonly db: StateDb;
  private readonly dir: string;
  private readonly options: VolumeStoreOptions;

  constructor(db: StateDb, root: string, options: VolumeStoreOptions) {
    this.db = db;
    this.dir = join(root, 'volumes');
    this.options = options;
    db.migrate('volume', migrations);
  }

  /** Creating a volume that exists returns it unchanged, as Docker does. */
  async create(name: string | undefined, options: { labels?: Record<string, string> } = {}): Promise<VolumeRecord> {
    if (name !== undefined && !validName.test(name)) {
      throw invalid(`invalid volume name "${name}": names must match ${nameRule} (two or more characters, starting with a letter or digit)`);
    }
    const labels = options.labels ?? {};
    for (const [key, value] of Object.entries(labels)) {
      if (typeof value !== 'string') throw invalid(`volume label "${key}" must have a string value`);
    }
    const existing = name === undefined ? undefined : this.row(name);
    if (existing?.removing) throw conflict(`volume ${name} is being removed; try again in a moment`);
    if (existing) return this.toRecord(existing);
    const row: Row = {
      name: name ?? generateId(),
      created_at: new Date().toISOString(),
      labels: JSON.stringify(labels),
      anonymous: name === undefined ? 1 : 0,
      removing: 0,
    };
    this.db.run(
      'INSERT INTO volumes (name, created_at, labels, anonymous) VALUES (?, ?, ?, ?)',
      row.name,
      row.created_at,
      row.labels,
      row.anonymous,
    );
    try {
      await this.makeDirectories(row.name);
    } catch (err) {
      await rm(join(this.dir, row.name), { recursive: true, force: true }).catch(() => {});
      this.db.run('DELETE FROM volumes WHERE name = ?', row.name);
      throw err;
    }
    this.options.onEvent?.('create', row.name);
    return this.toRecord(row);
  }

  async list(): Promise<VolumeRecord[]> {
    return this.db.all<Row>('SELECT * FROM volumes WHERE removing = 0 ORDER BY name').map((r) => this.toRecord(r));
  }

  async inspect(name: string): Promise<VolumeRecord> {
    const row = this.row(name);
    if (!row || row.removing) throw notFound(`No such volume: ${name}`);
    return this.toRecord(row);
  }

  /** `force` removes a volume even while containers use it, and ignores a missing one. */
  async remove(name: string, options: { force?: boolean } = {}): Promise<void> {
    const row = this.row(name);
    if (!row || row.removing) {
      if (options.force) return;
      throw notFound(`No such volume: ${name}`);
    }
    const users = this.usersOf(name);
    if (users && !options.force) {
      throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]; remove those containers first, or force`);
    }
    await this.finishRemoval(name);
  }

  async prune(options: { anonymousOnly?: boolean } = {}): Promise<string[]> {
    const removed: string[] = [];
    for (const { name, anonymous } of await this.list()) {
      if ((options.anonymousOnly && !anonymous) || this.usersOf(name)) continue;
      await this.finishRemoval(name);
      removed.push(name);
    }
    return removed;
  }

  /** Mends what a crash between the effects left (see the top of this file); run once at start. */
  async reconcile(): Promise<void> {
    const rows = this.db.all<Row>('SELECT * FROM volumes');
    for (const row of rows) {
      if (row.removing) await this.finishRemoval(row.name);
      else await this.makeDirectories(row.name);
    }
    const known = new Set(rows.filter((r) => !r.removing).map((r) => r.name));
    const present = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of present) if (!known.has(name)) await rm(join(this.dir, name), { recursive: true, force: true });
  }

  private async finishRemoval(name: string): Promise<void> {
    this.db.run('UPDATE volumes SET removing = 1 WHERE name = ?', name);
    await rm(join(this.dir, name), { recursive: true, force: true });
    this.db.run('DELETE FROM volumes WHERE name = ?', name);
    this.options.onEvent?.('destroy', name);
  }

  /** Undefined when unused; otherwise the ids of the users (empty when the answer was just `true`). */
  private usersOf(name: string): readonly string[] | undefined {
    const answer = this.options.isInUse(name);
    if (answer === true) return [];
    return answer === false || answer.length === 0 ? undefined : answer;
  }

  /** Creates what is missing; existing directories keep the modes their users gave them. */
  private async makeDirectories(name: string): Promise<void> {
    const volumeDir = join(this.dir, name);
    const firstCreated = await mkdir(join(volumeDir, '_data'), { recursive: true });
    if (firstCreated === undefined) return;
    // Explicit modes: mkdir's are reduced by the daemon's umask.
    if (firstCreated !== join(volumeDir, '_data')) await chmod(volumeDir, 0o755);
    await chmod(join(volumeDir, '_data'), 0o755);
  }

  private row(name: string): Row | undefined {
    return this.db.get<Row>('SELECT * FROM volumes WHERE name = ?', name);
  }

  private toRecord(row: Row): VolumeRecord {
    return {
      name: row.name,
      driver: 'local',
      mountpoint: join(this.dir, row.name, '_data'),
      createdAt: row.created_at,
      labels: JSON.parse(row.labels) as Record<string, string>,
      anonymous: row.anonymous === 1,
    };
  }
}
