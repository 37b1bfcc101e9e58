/** Placeholder until its routes land (issue 6, in progress). */
import type { Route } from '../api-types.ts';
import type { Router } from '../router.ts';

export function addDockerExecRoutes(_router: Router<Route>): void {}
