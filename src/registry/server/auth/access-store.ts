/**
 * Registry users and anonymous-pull patterns in the state database (tables `registry_users`,
 * `registry_anonymous_pull`). Passwords are kept only as bcrypt hashes.
 */
import bcrypt from 'bcryptjs';
import type { StateDb } from '../../../db/state-db.ts';
import { conflict, notFound } from '../../../errors.ts';
import { checkAnonymousPattern, checkPassword, checkUserName } from './access-input.ts';
import type { RegistryAccessAdmin, RegistryUser } from './authorizer.ts';

const bcryptCost = 10;

const migrations = [
  `CREATE TABLE registry_users (
     name TEXT PRIMARY KEY,
     password_hash TEXT NOT NULL,
     pull_only INTEGER NOT NULL,
     created TEXT NOT NULL
   );
   CREATE TABLE registry_anonymous_pull (pattern TEXT PRIMARY KEY);`,
];

export interface StoredUser extends RegistryUser {
  passwordHash: string;
}

interface UserRow {
  name: string;
  password_hash: string;
  pull_only: number;
  created: string;
}

const publicUser = ({ name, pullOnly, created }: StoredUser): RegistryUser => ({ name, pullOnly, created });

export class RegistryAccessStore implements RegistryAccessAdmin {
  private readonly db: StateDb;
  /** Compared against when the user is unknown, so a wrong name takes as long as a wrong password. */
  private decoyHash: Promise<string> | undefined;

  constructor(db: StateDb) {
    this.db = db;
    db.migrate('registry-auth', migrations);
  }

  async addUser(name: string, password: string, options?: { pullOnly?: boolean }): Promise<RegistryUser> {
    checkUserName(name);
    checkPassword(password);
    // Checked before hashing too, so a taken name fails at once rather than after ~70 ms of bcrypt.
    if (this.findUser(name) !== undefined) throw userExists(name);
    const hash = await bcrypt.hash(password, bcryptCost);
    const user = { name, pullOnly: options?.pullOnly ?? false, created: new Date().toISOString() };
    const { changes } = this.db.run(
      'INSERT INTO registry_users (name, password_hash, pull_only, created) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO NOTHING',
      user.name,
      hash,
      user.pullOnly ? 1 : 0,
      user.created,
    );
    if (changes === 0) throw userExists(name);
    return user;
  }

  async removeUser(name: string): Promise<void> {
    const { changes } = this.db.run('DELETE FROM registry_users WHERE name = ?', name);
    if (changes === 0) throw notFound(`no registry user "${name}": marina registry user ls lists them`);
  }

  async listUsers(): Promise<RegistryUser[]> {
    return this.db
      .all<UserRow>('SELECT * FROM registry_users ORDER BY name')
      .map((row) => publicUser(userOf(row)));
  }

  async addAnonymousPull(pattern: string): Promise<void> {
    checkAnonymousPattern(pattern);
    const { changes } = this.db.run(
      'INSERT INTO registry_anonymous_pull (pattern) VALUES (?) ON CONFLICT(pattern) DO NOTHING',
      pattern,
    );
    if (changes === 0) throw conflict(`anonymous pull is already allowed for "${pattern}"`);
  }

  async removeAnonymousPull(pattern: string): Promise<void> {
    const { changes } = this.db.run('DELETE FROM registry_anonymous_pull WHERE pattern = ?', pattern);
    if (changes === 0) {
      throw notFound(
        `anonymous pull is not allowed for "${pattern}": marina registry anonymous-pull ls lists the patterns`,
      );
    }
  }

  async listAnonymousPull(): Promise<string[]> {
    return this.anonymousPatterns();
  }

  /** Synchronous lookups for the per-request checks. */
  anonymousPatterns(): string[] {
    return this.db
      .all<{ pattern: string }>('SELECT pattern FROM registry_anonymous_pull ORDER BY pattern')
      .map((row) => row.pattern);
  }

  findUser(name: string): StoredUser | undefined {
    const row = this.db.get<UserRow>('SELECT * FROM registry_users WHERE name = ?', name);
    return row === undefined ? undefined : userOf(row);
  }

  /** The user when the password is theirs; undefined for a wrong password or an unknown user alike. */
  async verifyPassword(name: string, password: string): Promise<StoredUser | undefined> {
    const user = this.findUser(name);
    if (user === undefined) {
      this.decoyHash ??= bcrypt.hash('decoy password', bcryptCost);
      await bcrypt.compare(password, await this.decoyHash);
      return undefined;
    }
    return (await bcrypt.compare(password, user.passwordHash)) ? user : undefined;
  }
}

function userOf(row: UserRow): StoredUser {
  return {
    name: row.name,
    pullOnly: row.pull_only !== 0,
    created: row.created,
    passwordHash: row.password_hash,
  };
}

function userExists(name: string) {
  return conflict(
    `registry user "${name}" already exists: remove it first (marina registry user rm ${name}) to replace it`,
  );
}
