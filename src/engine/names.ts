/** Container identities: ids like Docker's (64 hex), user-chosen names, and generated names. */
import { randomBytes, randomInt } from 'node:crypto';
import { invalid } from '../errors.ts';

export function generateId(): string {
  return randomBytes(32).toString('hex');
}

/** Short form shown by `ps` and used in default hostnames. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}

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
