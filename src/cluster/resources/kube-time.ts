/** Kubernetes' `metav1.Time` text: RFC 3339 in UTC to the second (`2026-01-02T03:04:05Z`). */
export function kubeTime(at: Date | number = new Date()): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
