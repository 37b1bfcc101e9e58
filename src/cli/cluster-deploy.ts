/**
 * `marina deploy IMAGE --name N`: the quick path to a Deployment, written through `apply` like any
 * manifest. Its pods are labelled `app=N` and selected by it. (A Service for `--port` comes with the
 * Service kind.)
 */
import { invalid } from '../errors.ts';

export interface DeployFlags {
  name: string;
  replicas?: string;
  port?: string;
  /** `K=V` entries, already resolved against the caller's environment. */
  env: string[];
}

function wholeNumber(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || value < min || value > max) throw invalid(`${flag} must be a whole number from ${min} to ${max}, not "${text}"`);
  return value;
}

export function deploymentManifest(image: string, flags: DeployFlags): Record<string, unknown> {
  const labels = { app: flags.name };
  const container: Record<string, unknown> = { name: flags.name, image };
  if (flags.port !== undefined) container.ports = [{ containerPort: wholeNumber(flags.port, '--port', 1, 65535), protocol: 'TCP' }];
  if (flags.env.length > 0) {
    container.env = flags.env.map((entry) => {
      const eq = entry.indexOf('=');
      return { name: entry.slice(0, eq), value: entry.slice(eq + 1) };
    });
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: flags.name, labels },
    spec: {
      replicas: flags.replicas === undefined ? 1 : wholeNumber(flags.replicas, '--replicas', 0, 1_000_000),
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [container] } },
    },
  };
}
