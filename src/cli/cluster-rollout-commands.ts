/**
 * `marina rollout status|history|undo|restart|pause|resume deploy/NAME`. Only the flags are here; what
 * they do is in cluster-rollout-actions.ts, loaded when one runs.
 */
import type { Command } from 'commander';
import { type NamespaceFlags, namespaceOption } from './cluster-commands.ts';

const actions = () => import('./cluster-rollout-actions.ts');

export function registerRolloutCommands(program: Command): void {
  const rollout = program.command('rollout').description("Manage a Deployment's rollout");
  rollout
    .command('status')
    .description('Wait until the rollout of a Deployment is complete, printing its progress')
    .argument('<deployment...>', 'deploy/NAME')
    .option(...namespaceOption)
    .option('--no-watch', 'print the current state once instead of waiting')
    .action(async (args: string[], flags: NamespaceFlags & { watch: boolean }) => (await actions()).status(args, flags));
  rollout
    .command('history')
    .description("List a Deployment's revisions (its ReplicaSets) with their change cause")
    .argument('<deployment...>', 'deploy/NAME')
    .option(...namespaceOption)
    .action(async (args: string[], flags: NamespaceFlags) => (await actions()).history(args, flags));
  rollout
    .command('undo')
    .description('Roll a Deployment back to its previous revision (or --to-revision N)')
    .argument('<deployment...>', 'deploy/NAME')
    .option(...namespaceOption)
    .option('--to-revision <revision>', 'the revision to go back to; 0 is the previous one', '0')
    .action(async (args: string[], flags: NamespaceFlags & { toRevision: string }) => (await actions()).undo(args, flags));
  rollout
    .command('restart')
    .description("Roll out a Deployment's pods again (sets the template annotation kubectl.kubernetes.io/restartedAt)")
    .argument('<deployment...>', 'deploy/NAME')
    .option(...namespaceOption)
    .action(async (args: string[], flags: NamespaceFlags) => (await actions()).restart(args, flags));
  rollout
    .command('pause')
    .description('Stop rolling out template changes of a Deployment until it is resumed')
    .argument('<deployment...>', 'deploy/NAME')
    .option(...namespaceOption)
    .action(async (args: string[], flags: NamespaceFlags) => (await actions()).pause(args, flags));
  rollout
    .command('resume')
    .description('Resume a paused Deployment: the template changes made meanwhile roll out')
    .argument('<deployment...>', 'deploy/NAME')
    .option(...namespaceOption)
    .action(async (args: string[], flags: NamespaceFlags) => (await actions()).resume(args, flags));
}
