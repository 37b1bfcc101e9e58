/**
 * The `pod-template-hash` that names a Deployment's ReplicaSets (`web-5d59d67564`) and labels their pods,
 * so the ReplicaSets of different templates never select each other's pods. As Kubernetes computes it:
 * FNV-32a over the template (here its canonical JSON, keys sorted, so the same template always hashes the
 * same whatever the order its fields were written in) and the collision count, written as the decimal
 * number through the alphabet of generated names.
 */
import { Buffer } from 'node:buffer';
import type { PodTemplateSpec } from '../../resources/pod-schemas.ts';

export const podTemplateHashLabel = 'pod-template-hash';

export function podTemplateHash(template: PodTemplateSpec, collisionCount?: number): string {
  let text = canonicalJson(template);
  if (collisionCount !== undefined && collisionCount > 0) text += String(collisionCount);
  return safeEncode(String(fnv32a(text)));
}

/** The template as it would be without the hash label, to compare a ReplicaSet's with the Deployment's. */
export function withoutHashLabel(template: PodTemplateSpec): PodTemplateSpec {
  const labels = template.metadata?.labels;
  if (!labels || !(podTemplateHashLabel in labels)) return template;
  const { [podTemplateHashLabel]: _, ...rest } = labels;
  return { ...template, metadata: { ...template.metadata, labels: rest } };
}

/** Kubernetes' EqualIgnoreHash: the same template, but for the hash label. */
export function sameTemplate(a: PodTemplateSpec, b: PodTemplateSpec): boolean {
  return canonicalJson(withoutHashLabel(a)) === canonicalJson(withoutHashLabel(b));
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
}

function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Kubernetes' rand.SafeEncodeString: no vowels (no words), no look-alike characters. */
function safeEncode(text: string): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...Buffer.from(text, 'utf8')].map((b) => alphabet[b % alphabet.length]).join('');
}
