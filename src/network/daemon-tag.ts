/**
 * The names that mark a kernel object as this daemon's. Several daemons share one kernel (tests,
 * benchmarks, a second root), so every bridge, veth and iptables chain a daemon creates carries its
 * tag, and a daemon only ever removes objects carrying its own. Linux caps device names at 15
 * characters, which is what shapes the names below.
 */
import { createHash } from 'node:crypto';
import { MarinaError } from '../errors.ts';

const maxDeviceName = 15;
const tagPattern = /^[0-9a-f]{6}$/;

/** First 6 hex characters of sha256(state root): stable across restarts, distinct between roots. */
export function daemonTagOf(stateRoot: string): string {
  return createHash('sha256').update(stateRoot).digest('hex').slice(0, 6);
}

export function assertDaemonTag(tag: string): void {
  if (!tagPattern.test(tag))
    throw new MarinaError(
      'Internal',
      `daemon tag "${tag}" is not 6 lowercase hex characters; derive it with daemonTagOf(root)`,
    );
}

/** `mr<tag><n>`: the bridge of a user network; n is a small per-daemon counter. */
export function userBridgeName(tag: string, n: number): string {
  assertDaemonTag(tag);
  const name = `mr${tag}${n}`;
  if (!Number.isInteger(n) || n < 0 || name.length > maxDeviceName) {
    throw new MarinaError(
      'Internal',
      `bridge number ${n} does not fit a ${maxDeviceName}-character device name`,
    );
  }
  return name;
}

/**
 * `v<tag><7 hex>`: the host side of an endpoint's veth pair. The hex comes from the container and the
 * network together, so a container on two networks gets two distinct names.
 */
export function hostVethName(tag: string, containerId: string, networkId: string): string {
  assertDaemonTag(tag);
  const hex = createHash('sha256').update(`${containerId}/${networkId}`).digest('hex').slice(0, 7);
  return `v${tag}${hex}`;
}

export function isOwnVeth(tag: string, name: string): boolean {
  return new RegExp(`^v${tag}[0-9a-f]{7}$`).test(name);
}

export function isOwnUserBridge(tag: string, name: string): boolean {
  return new RegExp(`^mr${tag}\\d+$`).test(name);
}

/**
 * Every bridge the daemon creates gets this interface alias, so a bridge with a name the daemon does
 * not derive from its tag (the default `--bridge marina0`) is still recognised as its own.
 */
export function bridgeAlias(tag: string): string {
  return `marina:${tag}`;
}

/** The comment on the jump rules from built-in chains into the daemon's chains. */
export function ruleComment(tag: string): string {
  return `marina:${tag}`;
}

export interface DaemonChains {
  /** filter, jumped to from FORWARD. */
  forward: string;
  /** nat, jumped to from PREROUTING and OUTPUT for local destinations. */
  dnat: string;
  /** nat, jumped to from POSTROUTING. */
  post: string;
}

export function daemonChains(tag: string): DaemonChains {
  return { forward: `MARINA-${tag}-FWD`, dnat: `MARINA-${tag}-DNAT`, post: `MARINA-${tag}-POST` };
}

/** Prefix of every chain the daemon owns (including ones an older version may have left). */
export function ownChainPrefix(tag: string): string {
  return `MARINA-${tag}-`;
}
