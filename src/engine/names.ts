/** Container names: user-chosen ones checked, generated ones like Docker's. Ids are in src/ids.ts. */
import { randomInt } from 'node:crypto';
import { invalid } from '../errors.ts';

const validName = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Accepts `name` or Docker's `/name` spelling and returns the bare name. */
export function validateName(name: string): string {
  const bare = name.startsWith('/') ? name.slice(1) : name;
  if (!validName.test(bare)) {
    throw invalid(
      `invalid container name "${name}": use at least two characters from [a-zA-Z0-9_.-], starting with a letter or digit`,
      { field: 'name' },
    );
  }
  return bare;
}

const adjectives = [
  'brave', 'calm', 'clever', 'cool', 'eager', 'fervent', 'gentle', 'happy', 'jolly', 'keen',
  'kind', 'lucid', 'merry', 'nifty', 'quiet', 'quirky', 'serene', 'sharp', 'steady', 'sunny',
  'swift', 'tender', 'upbeat', 'vivid', 'witty', 'zealous',
];
const nouns = [
  'albatross', 'anchor', 'barnacle', 'beacon', 'buoy', 'capstan', 'cormorant', 'dolphin', 'ferry', 'gull',
  'harbor', 'jetty', 'keel', 'lighthouse', 'mooring', 'narwhal', 'otter', 'pelican', 'pier', 'puffin',
  'rudder', 'schooner', 'seal', 'tern', 'walrus', 'wharf',
];

/** A docker-like `adjective_noun` name; callers retry on the rare collision. */
export function randomName(): string {
  return `${adjectives[randomInt(adjectives.length)]}_${nouns[randomInt(nouns.length)]}`;
}
