/** Helpers shared by the registry server's unit tests (imported by tests only). */
import { type RegistryErrorCode, registryCodeOf } from '../registry-errors.ts';

/** The registry error code `fn` throws (`NAME_INVALID`, …); undefined when it returns or throws anything else. */
export function registryCodeThrownBy(fn: () => unknown): RegistryErrorCode | undefined {
  try {
    fn();
  } catch (err) {
    return registryCodeOf(err);
  }
  return undefined;
}
