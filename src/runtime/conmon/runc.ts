/** The runc command line (`runc --root R …`) for the calls marinad makes itself. */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { invalid, MarinaError } from '../../errors.ts';
import { runCommand } from '../../run-command.ts';


export interface RuncState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
}

const notFound = (stderr: string) => /does not exist|not found/i.test(stderr);

/** `TERM`, `SIGTERM`, `15`, `SIGRTMIN+3`; anything else could smuggle an option into runc's command line. */
export function checkSignal(signal: string): string {
  if (!/^(\d{1,2}|(SIG)?[A-Z][A-Z0-9]*([+-]\d{1,2})?)$/i.test(signal)) {
    throw invalid(`invalid signal "${signal}": use a name like SIGTERM or KILL, or a number`, { signal });
  }
  return signal.toUpperCase();
}

export class Runc {
  readonly path: string;
  readonly root: string;

  constructor(path: string, root: string) {
    this.path = path;
    this.root = root;
  }

  private async run(args: string[]): Promise<string> {
    const result = await runCommand(this.path, ['--root', this.root, ...args]);
    if (result.code === 0) return result.stdout;
    const stderr = result.stderr.trim();
    throw new MarinaError('Internal', `runc ${args[0]} failed: ${stderr || `exit ${result.code}`}`, { details: { stderr } });
  }

  private static stderrOf(err: unknown): string {
    const details = err instanceof MarinaError ? err.details : undefined;
    return String(details?.stderr ?? '');
  }

  start(id: string): Promise<string> {
    return this.run(['start', id]);
  }

  async kill(id: string, signal: string, all: boolean): Promise<void> {
    try {
      await this.run(['kill', ...(all ? ['--all'] : []), id, checkSignal(signal)]);
    } catch (err) {
      const stderr = Runc.stderrOf(err);
      if (notFound(stderr)) throw new MarinaError('NotFound', `container ${id} is not known to runc`);
      if (/not running|process already finished/i.test(stderr)) throw new MarinaError('Conflict', `container ${id} is not running`);
      throw err;
    }
  }

  /**
   * Whether runc holds state for `id` (it keeps `<root>/<id>/state.json` from create to delete). Asking
   * the file system first spares a runc process (~20 ms) on paths that often find nothing, like the
   * delete of an already cleaned-up container.
   */
  private async knows(id: string): Promise<boolean> {
    return access(join(this.root, id, 'state.json')).then(
      () => true,
      () => false,
    );
  }

  async delete(id: string, force: boolean): Promise<void> {
    if (!(await this.knows(id))) return;
    try {
      await this.run(['delete', ...(force ? ['--force'] : []), id]);
    } catch (err) {
      if (!notFound(Runc.stderrOf(err))) throw err;
    }
  }

  async state(id: string): Promise<RuncState | undefined> {
    if (!(await this.knows(id))) return undefined;
    try {
      return JSON.parse(await this.run(['state', id])) as RuncState;
    } catch (err) {
      if (notFound(Runc.stderrOf(err))) return undefined;
      throw err;
    }
  }

  async list(): Promise<RuncState[]> {
    return (JSON.parse(await this.run(['list', '-f', 'json'])) as RuncState[] | null) ?? [];
  }
}
