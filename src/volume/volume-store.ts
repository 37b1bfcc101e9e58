/**
 * Local named volumes: `<root>/volumes/<name>/_data`, one row each in the state database.
 * Order of effects keeps the two in step across a crash: the row is written before the directory is
 * made, and the directory removed before the row; `reconcile()` at start mends either half left over.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateDb } from '../db/state-db.ts';
import { conflict, invalid, notFound } from '../errors.ts';
import type { VolumeRecord, VolumeService } from './volume-service.ts';

const migrations = [
  `CREATE TABLE volumes (
     name TEXT PRIMARY KEY,
     created_at TEXT NOT NULL,
     labels TEXT NOT NULL,
     anonymous INTEGER NOT NULL
   );`,
];

const validName = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

interface Row {
  name: string;
  created_at: string;
  labels: string;
  anonymous: number;
}

export interface VolumeStoreOptions {
  /** Whether any container mounts the volume (the container store answers; volume/ sits below engine/). */
  isInUse: (name: string) => boolean;
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

  private row(name: string): Row | undefined {
    return this.db.get<Row>('SELECT * FROM volumes WHERE name = ?', name);
  }

  /** Creating a volume that exists returns it unchanged, as Docker does. */
  async create(name: string | undefined, options: { labels?: Record<string, string> } = {}): Promise<VolumeRecord> {
    if (name !== undefined && !validName.test(name)) {
      throw invalid(
        `invalid volume name "${name}": use at least two characters from [a-zA-Z0-9_.-], starting with a letter or digit`,
      );
    }
    const existing = name === undefined ? undefined : this.row(name);
    if (existing) return this.toRecord(existing);
    const row: Row = {
      name: name ?? randomBytes(32).toString('hex'),
      created_at: new Date().toISOString(),
      labels: JSON.stringify(options.labels ?? {}),
      anonymous: name === undefined ? 1 : 0,
    };
    this.db.run(
      'INSERT INTO volumes (name, created_at, labels, anonymous) VALUES (?, ?, ?, ?)',
      row.name,
      row.created_at,
      row.labels,
      row.anonymous,
    );
    const record = this.toRecord(row);
    await mkdir(record.mountpoint, { recursive: true, mode: 0o755 });
    this.options.onEvent?.('create', row.name);
    return record;
  }

  async list(): Promise<VolumeRecord[]> {
    return this.db.all<Row>('SELECT * FROM volumes ORDER BY name').map((r) => this.toRecord(r));
  }

  async inspect(name: string): Promise<VolumeRecord> {
    const row = this.row(name);
    if (!row) throw notFound(`No such volume: ${name}`);
    return this.toRecord(row);
  }

  async remove(name: string, options: { force?: boolean } = {}): Promise<void> {
    const row = this.row(name);
    if (!row) {
      if (options.force) return;
      throw notFound(`No such volume: ${name}`);
    }
    if (this.options.isInUse(name)) {
      throw conflict(`remove ${name}: volume is in use; remove the containers that use it first`);
    }
    await rm(join(this.dir, name), { recursive: true, force: true });
    this.db.run('DELETE FROM volumes WHERE name = ?', name);
    this.options.onEvent?.('destroy', name);
  }

  async prune(): Promise<string[]> {
    const removed: string[] = [];
    for (const { name } of await this.list()) {
      if (this.options.isInUse(name)) continue;
      await this.remove(name);
      removed.push(name);
    }
    return removed;
  }

  /** Mends what a crash between the two effects left: directories without a row go, rows get their directory. */
  async reconcile(): Promise<void> {
    const known = new Set(this.db.all<Row>('SELECT * FROM volumes').map((r) => r.name));
    const present = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of present) if (!known.has(name)) await rm(join(this.dir, name), { recursive: true, force: true });
    for (const name of known) await mkdir(join(this.dir, name, '_data'), { recursive: true, mode: 0o755 });
  }
}
