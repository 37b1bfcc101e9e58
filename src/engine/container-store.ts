/**
 * The engine's containers table: one row per container, the record as JSON plus the columns that are
 * looked up or must be unique. Every write is one statement or one transaction (StateDb).
 */
import { type MarinaError, conflict, invalid, notFound } from '../errors.ts';
import type { StateDb } from '../db/state-db.ts';
import type { PortRequest } from '../network/network-types.ts';
import type { ContainerRecord, ContainerState } from './container-types.ts';
import { type LabelIndexed, writeLabelRows } from './label-lookup.ts';

/** What the engine keeps about a container beyond what `inspect` shows. */
export interface ContainerEntry {
  record: ContainerRecord;
  /** The user stopped or killed it: restart policies leave it alone, also across daemon restarts. */
  explicitlyStopped: boolean;
  /** Volumes created for anonymous `-v /path` mounts, removed with `rm -v` and `--rm`. */
  anonymousVolumes: string[];
  /** The request's stop signal, else the image's, else SIGTERM; fixed at create like Docker. */
  stopSignal: string;
  /** Ports published at each start: `-p`, plus the image's exposed ports with `-P` (settled at create). */
  publish: PortRequest[];
  /** Networks joined with `network connect`, besides its own: joined again at every start. */
  connectedNetworks?: ConnectedNetwork[];
}

export interface ConnectedNetwork {
  /** The network's name. */
  network: string;
  aliases: string[];
}

/** The state of a container that was created and never started. */
export function createdState(): ContainerState {
  return {
    status: 'created',
    running: false,
    pid: 0,
    exitCode: 0,
    oomKilled: false,
    error: '',
    startedAt: '',
    finishedAt: '',
    restartCount: 0,
  };
}

const migrations = [
  `CREATE TABLE containers (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     image_id TEXT NOT NULL,
     created TEXT NOT NULL,
     entry TEXT NOT NULL
   );
   CREATE UNIQUE INDEX containers_name ON containers (name);`,
  // Finds the containers carrying a label without reading every row: the node agent asks for one pod's
  // containers on each sync of that pod, and a scan made that cost grow with the number of pods.
  `CREATE TABLE container_labels (
     container_id TEXT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
     key TEXT NOT NULL,
     value TEXT NOT NULL,
     PRIMARY KEY (container_id, key)
   );
   CREATE INDEX container_labels_key_value ON container_labels (key, value);
   INSERT INTO container_labels (container_id, key, value)
     SELECT c.id, l.key, l.value FROM containers c, json_each(c.entry, '$.record.request.labels') l;`,
];

interface Row {
  id: string;
  entry: string;
}

export class ContainerStore implements LabelIndexed<ContainerEntry> {
  private readonly db: StateDb;

  constructor(db: StateDb) {
    this.db = db;
    db.migrate('engine', migrations);
  }

  /** Inserts a new container; `Conflict` (Docker's wording) when the name is taken. */
  insert(entry: ContainerEntry): void {
    const { record } = entry;
    this.db.transaction(() => {
      this.assertNameFree(record.name);
      this.db.run(
        'INSERT INTO containers (id, name, image_id, created, entry) VALUES (?, ?, ?, ?, ?)',
        record.id,
        record.name,
        record.imageId,
        record.created,
        JSON.stringify(entry),
      );
      writeLabelRows(this.db, { table: 'container_labels', idColumn: 'container_id' }, record.id, record.request.labels);
    });
  }

  update(entry: ContainerEntry): void {
    const { changes } = this.db.run('UPDATE containers SET entry = ? WHERE id = ?', JSON.stringify(entry), entry.record.id);
    if (changes === 0) throw noSuchContainer(entry.record.id);
  }

  /** Gives container `id` the name `name` (the entry carries it too); `Conflict` when another holds it. */
  rename(entry: ContainerEntry, name: string): void {
    this.db.transaction(() => {
      this.assertNameFree(name);
      entry.record.name = name;
      this.db.run('UPDATE containers SET name = ?, entry = ? WHERE id = ?', name, JSON.stringify(entry), entry.record.id);
    });
  }

  delete(id: string): void {
    this.db.run('DELETE FROM containers WHERE id = ?', id);
  }

  nameHolder(name: string): string | undefined {
    return this.db.get<{ id: string }>('SELECT id FROM containers WHERE name = ?', name)?.id;
  }

  /** Fails early, before a create has side effects, with the same error `insert` would give. */
  assertNameFree(name: string): void {
    const holder = this.nameHolder(name);
    if (holder) throw nameInUse(name, holder);
  }

  /** By exact id, then exact name (`x` or `/x`), then unique id prefix, like Docker. */
  find(idOrName: string): ContainerEntry {
    const key = idOrName.trim();
    if (key === '') throw invalid('no container given: name a container by its name or id');
    const exact =
      this.db.get<Row>('SELECT id, entry FROM containers WHERE id = ?', key) ??
      this.db.get<Row>('SELECT id, entry FROM containers WHERE name = ?', key.replace(/^\//, ''));
    if (exact) return parse(exact);
    if (!/^[0-9a-f]+$/.test(key)) throw noSuchContainer(idOrName);
    const matches = this.db.all<Row>("SELECT id, entry FROM containers WHERE id LIKE ? || '%' LIMIT 2", key);
    if (matches.length > 1) {
      throw invalid(`multiple containers found with id prefix "${key}": give more characters of the id or the name`);
    }
    if (matches.length === 0) throw noSuchContainer(idOrName);
    return parse(matches[0]!);
  }

  /** The entry as stored now, or undefined once removed. */
  get(id: string): ContainerEntry | undefined {
    const row = this.db.get<Row>('SELECT id, entry FROM containers WHERE id = ?', id);
    return row ? parse(row) : undefined;
  }

  all(): ContainerEntry[] {
    return this.db.all<Row>('SELECT id, entry FROM containers ORDER BY created DESC').map(parse);
  }

  /** The containers whose label `key` is `value`, newest first; only their rows are read. */
  withLabel(key: string, value: string): ContainerEntry[] {
    return this.db
      .all<Row>(
        `SELECT c.id, c.entry FROM container_labels l JOIN containers c ON c.id = l.container_id
         WHERE l.key = ? AND l.value = ? ORDER BY c.created DESC`,
        key,
        value,
      )
      .map(parse);
  }

  labelsOf(entry: ContainerEntry): Record<string, string> | undefined {
    return entry.record.request.labels;
  }

  usesImage(imageId: string): boolean {
    return this.db.get('SELECT 1 AS one FROM containers WHERE image_id = ? LIMIT 1', imageId) !== undefined;
  }

  /** Ids of the containers that mount volume `name` (empty when none does). */
  containersUsingVolume(name: string): string[] {
    return this.all()
      .filter((e) => e.record.mounts.some((m) => m.type === 'volume' && m.name === name))
      .map((e) => e.record.id);
  }
}

function parse(row: Row): ContainerEntry {
  return JSON.parse(row.entry) as ContainerEntry;
}

export function noSuchContainer(idOrName: string): MarinaError {
  return notFound(`No such container: ${idOrName}`);
}

function nameInUse(name: string, holderId: string): MarinaError {
  return conflict(
    `Conflict. The container name "/${name}" is already in use by container "${holderId}". You have to remove (or rename) that container to be able to reuse that name.`,
  );
}
