/**
 * `marina`: docker-like verbs against marinad's native API. Start-up time is part of every `marina run`,
 * so the compile cache goes on first and nothing but commander and node:http sits on the hot path.
 */
import { enableCompileCache } from 'node:module';

enableCompileCache?.();

// `marina … | head` closes the pipe early; that ends the output, it is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
}

const { Command, CommanderError } = await import('commander');
const { closeApi, Exit, reportError, setHost } = await import('./cli-support.ts');
const { registerContainerCommands } = await import('./container-commands.ts');
const { registerImageCommands } = await import('./image-commands.ts');
const { registerVolumeCommands } = await import('./volume-commands.ts');
const { registerNetworkCommands } = await import('./network-commands.ts');
const { registerSystemCommands } = await import('./system-commands.ts');
const { registerRegistryCommands } = await import('./registry-commands.ts');
const { registerBuildCommand } = await import('./build-command.ts');
const { registerClusterCommands } = await import('./cluster-commands.ts');
const { registerRolloutCommands } = await import('./cluster-rollout-commands.ts');
const { marinaVersion } = await import('../api/version.ts');

const program = new Command('marina')
  .description('Marina: run containers with docker-like commands')
  .version(marinaVersion, '--version', 'print the client version')
  // Docker uses -h for --hostname, so help is --help only (inherited by every subcommand).
  .helpOption('--help', 'display help for the command')
  .option(
    '-H, --host <url>',
    'daemon socket (unix:///path); default $MARINA_HOST or unix:///run/marina/marina.sock',
  )
  .enablePositionalOptions()
  .showSuggestionAfterError()
  .exitOverride()
  .hook('preAction', (command) => setHost(command.opts<{ host?: string }>().host));

registerContainerCommands(program);
registerImageCommands(program);
registerVolumeCommands(program);
registerNetworkCommands(program);
registerSystemCommands(program);
registerRegistryCommands(program);
registerBuildCommand(program);
registerClusterCommands(program);
registerRolloutCommands(program);

let exitCode = 0;
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander already printed usage errors; docker exits 125 for them, 0 for --help/--version.
    exitCode = err.exitCode === 0 ? 0 : 125;
  } else {
    const command = process.argv[2];
    // Bad input to these is a usage error (125); a build that ran and failed exits 1 through Exit.
    exitCode =
      err instanceof Exit
        ? err.exitCode
        : reportError(err, command === 'run' || command === 'create' || command === 'build' ? 125 : 1);
  }
} finally {
  closeApi();
}
process.exit(exitCode);
