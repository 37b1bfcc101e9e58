/**
 * `marina deploy IMAGE --name N [--port P]`: the quick path to a Deployment — and, with a port, the
 * Service in front of it — written through `apply` like any manifest. Its pods are labelled `app=N` and
 * selected by it; the Service, also named N, takes port P to the pods' port P.
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

/** The Deployment, then (with `--port`) its Service: all checked before anything is written. */
export function deployManifests(image: string, flags: DeployFlags): Record<string, unknown>[] {
  const port = flags.port === undefined ? undefined : wholeNumber(flags.port, '--port', 1, 65535);
  const deployment = deploymentManifest(image, flags, port);
  return port === undefined ? [deployment] : [deployment, serviceManifest(flags.name, port)];
}

function deploymentManifest(image: string, flags: DeployFlags, port: number | undefined): Record<string, unknown> {
  const labels = { app: flags.name };
  const container: Record<string, unknown> = { name: flags.name, image };
  if (port !== undefined) container.ports = [{ containerPort: port, protocol: 'TCP' }];
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

function serviceManifest(name: string, port: number): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: { app: name } },
    spec: { selector: { app: name }, ports: [{ port, targetPort: port, protocol: 'TCP' }] },
  };
}
