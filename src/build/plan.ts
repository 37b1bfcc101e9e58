/**
 * The build plan: which stages a build runs, in which order, on which bases, and what the global and
 * automatic ARGs are worth. Pure (no I/O): the executor takes the plan and runs it.
 *
 * Docker (BuildKit) semantics throughout:
 * - FROM words and `COPY --from` values are expanded with the global ARGs and the automatic platform args
 *   only; build args reach them only through a global ARG of the same name.
 * - `FROM name` builds on an EARLIER stage of that name; a later or the stage's own name is an image
 *   (so `FROM node AS node` pulls node, as in Docker). FROM therefore cannot form a cycle: only
 *   `COPY --from=name`, which may name any stage, can.
 * - Every stage is resolved and checked, but only the stages the target needs are planned.
 */
import type { ArgInstruction, Dockerfile, SourceLocation, Stage } from './dockerfile/ast.ts';
import { expandWord, type Lookup } from './dockerfile/expand.ts';
import { invalid, isMarinaError } from '../errors.ts';
import { formatReference, parseReference } from '../image/reference.ts';

export interface PlanOptions {
  buildArgs: Record<string, string>;
  /** Stage name (case-insensitive) or index. */
  target?: string;
  /** The target platform, which is the build platform here (RUN steps run on this machine). */
  platform: { os: string; architecture: string; variant?: string };
}

/** `image` references are normalized (`docker.io/library/busybox:latest`). */
export type StageBase =
  | { kind: 'scratch' }
  | { kind: 'image'; reference: string }
  | { kind: 'stage'; index: number };
export type CopySource = { kind: 'stage'; index: number } | { kind: 'image'; reference: string };

export interface PlannedStage {
  stage: Stage;
  /** AS name, or String(index). */
  label: string;
  base: StageBase;
  /** FROM --platform, expanded. */
  platform?: string;
  /** Stage indexes this stage needs built first: its base stage and its COPY --from stages, distinct. */
  dependsOn: number[];
  /** Key: position of the COPY/ADD in stage.instructions. */
  copyFrom: Map<number, CopySource>;
}

export interface BuildPlan {
  /** Only what the target needs, dependencies first (file order where the dependencies allow). */
  stages: PlannedStage[];
  /** Index of the target stage (last stage unless --target). */
  target: number;
  /** Global ARG values: defaults expanded in order, overridden by build args; unset ones are absent. */
  globalArgs: Map<string, string>;
  /** TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT BUILDPLATFORM BUILDOS BUILDARCH BUILDVARIANT. */
  automaticArgs: Map<string, string>;
}

/** Build args Docker accepts without an ARG declaration (they reach RUN steps' environment). */
const predefinedArgs = new Set([
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
]);

/** Docker's automatic platform args, set for FROM lines and for stages that declare them with ARG. */
const automaticArgNames = [
  'TARGETPLATFORM',
  'TARGETOS',
  'TARGETARCH',
  'TARGETVARIANT',
  'BUILDPLATFORM',
  'BUILDOS',
  'BUILDARCH',
  'BUILDVARIANT',
] as const;

export function planBuild(dockerfile: Dockerfile, options: PlanOptions): BuildPlan {
  const { stages } = dockerfile;
  if (stages.length === 0) {
    throw invalid('the Dockerfile has no FROM instruction: start it with FROM <image> (or FROM scratch)');
  }
  checkBuildArgsDeclared(dockerfile, options.buildArgs);
  const automaticArgs = automaticArgValues(options.platform, options.buildArgs);
  const globalArgs = globalArgValues(dockerfile, options.buildArgs, automaticArgs);
  const lookup: Lookup = (name) => globalArgs.get(name) ?? automaticArgs.get(name);
  const stageByName = stageNames(stages);
  const scope: Scope = {
    stageByName,
    expand: (raw, loc, what) => expandAt(raw, lookup, dockerfile.escape, loc, what),
  };
  const resolved = stages.map((stage) => resolveStage(stage, scope));
  checkAcyclic(resolved);
  const target = targetIndex(stages, stageByName, options.target);
  const stagesInOrder = buildOrder(resolved, target).map((index) => resolved[index]!.planned);
  return { stages: stagesInOrder, target, globalArgs, automaticArgs };
}

/**
 * The value an `ARG name[=default]` inside a stage gives `name`: the build arg if given, else the ARG's own default
 * (already expanded by the caller), else the global ARG's value when a global ARG of that name exists, else the
 * automatic arg, else undefined (declared but unset).
 */
export function stageArgValue(
  plan: BuildPlan,
  buildArgs: Record<string, string>,
  name: string,
  expandedDefault: string | undefined,
): string | undefined {
  if (Object.hasOwn(buildArgs, name)) return buildArgs[name];
  if (expandedDefault !== undefined) return expandedDefault;
  return plan.globalArgs.get(name) ?? plan.automaticArgs.get(name);
}

/** `file:line`, how errors point at an instruction. */
function at(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}`;
}

/**
 * A build arg nothing declares is almost always a typo; Docker only warns, but a silently ignored
 * argument is worse than an error here. The automatic args count as declared: a build arg overrides them.
 */
function checkBuildArgsDeclared(dockerfile: Dockerfile, buildArgs: Record<string, string>): void {
  const declared = new Set<string>(automaticArgNames);
  const argInstructions: ArgInstruction[] = [...dockerfile.globalArgs];
  for (const stage of dockerfile.stages) {
    for (const instruction of stage.instructions)
      if (instruction.kind === 'ARG') argInstructions.push(instruction);
  }
  for (const instruction of argInstructions) for (const arg of instruction.args) declared.add(arg.name);
  const undeclared = Object.keys(buildArgs).filter(
    (name) => !declared.has(name) && !predefinedArgs.has(name),
  );
  if (undeclared.length === 0) return;
  const file = dockerfile.stages[0]?.from.loc.file ?? 'the Dockerfile';
  const fixes = undeclared.map(
    (name) => `declare it with ARG ${name} in the Dockerfile or drop --build-arg ${name}`,
  );
  throw invalid(
    `build arg${undeclared.length > 1 ? 's' : ''} ${undeclared.join(', ')} not declared in ${file}: ${fixes.join('; ')}`,
    { buildArgs: undeclared },
  );
}

/** Target and build platform are the same machine; a build arg of the same name overrides (as in BuildKit). */
function automaticArgValues(
  platform: PlanOptions['platform'],
  buildArgs: Record<string, string>,
): Map<string, string> {
  const variant = platform.variant ?? '';
  const formatted = [platform.os, platform.architecture, ...(variant ? [variant] : [])].join('/');
  const values = new Map<string, string>();
  for (const prefix of ['TARGET', 'BUILD']) {
    values.set(`${prefix}PLATFORM`, formatted);
    values.set(`${prefix}OS`, platform.os);
    values.set(`${prefix}ARCH`, platform.architecture);
    values.set(`${prefix}VARIANT`, variant);
  }
  for (const name of automaticArgNames) {
    if (Object.hasOwn(buildArgs, name)) values.set(name, buildArgs[name]!);
  }
  return values;
}

/**
 * Global ARGs in file order: each default may use the ones above it and the automatic args. A global ARG
 * without a value stays unset, except that re-declaring an automatic arg keeps its value.
 */
function globalArgValues(
  dockerfile: Dockerfile,
  buildArgs: Record<string, string>,
  automaticArgs: Map<string, string>,
): Map<string, string> {
  const values = new Map<string, string>();
  const lookup: Lookup = (name) => values.get(name) ?? automaticArgs.get(name);
  for (const instruction of dockerfile.globalArgs) {
    for (const { name, defaultValue } of instruction.args) {
      let value: string | undefined;
      if (Object.hasOwn(buildArgs, name)) value = buildArgs[name];
      else if (defaultValue !== undefined) {
        value = expandAt(defaultValue, lookup, dockerfile.escape, instruction.loc, `ARG ${name}`);
      } else value = automaticArgs.get(name);
      if (value === undefined) values.delete(name);
      else values.set(name, value);
    }
  }
  return values;
}

/** Expands a word, pointing any error at the instruction it came from. */
function expandAt(
  raw: string,
  lookup: Lookup,
  escapeChar: Dockerfile['escape'],
  loc: SourceLocation,
  what: string,
): string {
  try {
    return expandWord(raw, lookup, escapeChar);
  } catch (err) {
    if (!isMarinaError(err)) throw err;
    throw invalid(`${at(loc)}: ${what}: ${err.message}`, err.details);
  }
}

/** Stage index by lower-cased AS name; rejects duplicates. */
function stageNames(stages: Stage[]): Map<string, number> {
  const byName = new Map<string, number>();
  for (const stage of stages) {
    if (stage.name === undefined) continue;
    const first = byName.get(stage.name);
    if (first !== undefined) {
      throw invalid(
        `${at(stage.from.loc)}: duplicate stage name "${stage.name}" (already used at ${at(stages[first]!.from.loc)}): give each stage its own AS name`,
      );
    }
    byName.set(stage.name, stage.index);
  }
  return byName;
}

/** A dependency edge and the instruction that made it, for naming the lines of a cycle. */
interface Edge {
  to: number;
  loc: SourceLocation;
  original: string;
}

/** What FROM and COPY --from words are resolved against: stage names, and the global and automatic ARGs. */
interface Scope {
  stageByName: Map<string, number>;
  /** Expands a word; errors name `what` at `loc`. */
  expand: (raw: string, loc: SourceLocation, what: string) => string;
}

interface ResolvedStage {
  planned: PlannedStage;
  edges: Edge[];
}

function resolveStage(stage: Stage, scope: Scope): ResolvedStage {
  const { from } = stage;
  const edges: Edge[] = [];
  const base = resolveBase(stage, scope);
  if (base.kind === 'stage') edges.push({ to: base.index, loc: from.loc, original: from.original });

  const copyFrom = new Map<number, CopySource>();
  stage.instructions.forEach((instruction, position) => {
    if ((instruction.kind !== 'COPY' && instruction.kind !== 'ADD') || instruction.from === undefined) return;
    const source = resolveCopySource(stage, instruction.from, instruction.loc, scope);
    copyFrom.set(position, source);
    if (source.kind === 'stage')
      edges.push({ to: source.index, loc: instruction.loc, original: instruction.original });
  });

  const planned: PlannedStage = {
    stage,
    label: stage.name ?? String(stage.index),
    base,
    dependsOn: [...new Set(edges.map((edge) => edge.to))],
    copyFrom,
  };
  if (from.platform !== undefined) {
    const platform = scope.expand(from.platform, from.loc, 'FROM --platform');
    if (platform === '') {
      throw invalid(
        `${at(from.loc)}: FROM --platform=${from.platform} is empty after expansion: give the ARG a value or drop --platform`,
      );
    }
    planned.platform = platform;
  }
  return { planned, edges };
}

function resolveBase(stage: Stage, scope: Scope): StageBase {
  const { from } = stage;
  const word = scope.expand(from.image, from.loc, 'FROM');
  if (word === '') {
    throw invalid(
      `${at(from.loc)}: the base image "${from.image}" is empty after expansion: give the ARG a value (ARG default or --build-arg)`,
    );
  }
  const named = scope.stageByName.get(word.toLowerCase());
  if (named !== undefined && named < stage.index) return { kind: 'stage', index: named };
  if (word === 'scratch') return { kind: 'scratch' };
  return {
    kind: 'image',
    reference: imageReference(word, from.loc, 'FROM', 'the name of an earlier stage, or scratch'),
  };
}

function resolveCopySource(stage: Stage, raw: string, loc: SourceLocation, scope: Scope): CopySource {
  const word = scope.expand(raw, loc, '--from');
  if (word === '') {
    throw invalid(
      `${at(loc)}: --from=${raw} is empty after expansion: name a stage, a stage index or an image`,
    );
  }
  const named = scope.stageByName.get(word.toLowerCase());
  if (named !== undefined) return { kind: 'stage', index: named };
  if (/^-?\d+$/.test(word)) {
    const index = Number(word);
    if (index < 0 || index >= stage.index) {
      throw invalid(
        `${at(loc)}: --from=${word} is not an earlier stage: a stage index must be below this stage's (${stage.index}); use a stage name to copy from a later stage`,
      );
    }
    return { kind: 'stage', index };
  }
  if (word === 'scratch') {
    throw invalid(`${at(loc)}: --from=scratch copies from an empty filesystem: name a stage or an image`);
  }
  return { kind: 'image', reference: imageReference(word, loc, '--from', 'a stage name or index') };
}

function imageReference(word: string, loc: SourceLocation, what: string, alternatives: string): string {
  try {
    return formatReference(parseReference(word));
  } catch (err) {
    if (!isMarinaError(err, 'Invalid')) throw err;
    throw invalid(`${at(loc)}: ${what} ${word}: ${err.message}; use an image reference, ${alternatives}`);
  }
}

/** Depth-first search over every stage (Docker rejects a cycle even among stages the target skips). */
function checkAcyclic(stages: ResolvedStage[]): void {
  const state = new Array<'open' | 'done' | undefined>(stages.length);
  // The current path: `edges[i]` leads from `nodes[i]` to `nodes[i + 1]`.
  const nodes: number[] = [];
  const edges: Edge[] = [];
  const visit = (index: number): void => {
    state[index] = 'open';
    nodes.push(index);
    for (const edge of stages[index]!.edges) {
      if (state[edge.to] === 'open') {
        const start = nodes.indexOf(edge.to);
        throw cycleError(stages, [...nodes.slice(start), edge.to], [...edges.slice(start), edge]);
      }
      if (state[edge.to] === undefined) {
        edges.push(edge);
        visit(edge.to);
        edges.pop();
      }
    }
    nodes.pop();
    state[index] = 'done';
  };
  for (let index = 0; index < stages.length; index++) if (state[index] === undefined) visit(index);
}

function cycleError(stages: ResolvedStage[], cycle: number[], edges: Edge[]) {
  const names = cycle.map((index) => stages[index]!.planned.label);
  const lines = edges.map((edge) => `${at(edge.loc)} ${edge.original}`);
  return invalid(
    `circular dependency between stages: ${names.join(' → ')} (${lines.join('; ')}): a stage cannot copy from a stage that needs it; remove one of these references`,
    { cycle: names },
  );
}

function targetIndex(stages: Stage[], stageByName: Map<string, number>, target: string | undefined): number {
  if (target === undefined) return stages.length - 1;
  const named = stageByName.get(target.toLowerCase());
  if (named !== undefined) return named;
  if (/^\d+$/.test(target) && Number(target) < stages.length) return Number(target);
  const names = [...stageByName.keys()];
  const choices = names.length > 0 ? `the stages are ${names.join(', ')}` : 'no stage has an AS name';
  throw invalid(
    `target stage "${target}" not found in ${stages[0]!.from.loc.file}: ${choices}; use one of those, or an index from 0 to ${stages.length - 1}`,
  );
}

/**
 * The target and what it needs, each stage after its dependencies; among stages ready to go the one
 * earliest in the file comes first, so the order reads like the file.
 */
function buildOrder(stages: ResolvedStage[], target: number): number[] {
  const needed = new Set<number>();
  const collect = (index: number) => {
    if (needed.has(index)) return;
    needed.add(index);
    for (const dependency of stages[index]!.planned.dependsOn) collect(dependency);
  };
  collect(target);
  const order: number[] = [];
  const placed = new Set<number>();
  const pending = [...needed].sort((a, b) => a - b);
  while (pending.length > 0) {
    // The graph is acyclic (checked), so some pending stage always has all its dependencies placed.
    const next = pending.findIndex((index) => stages[index]!.planned.dependsOn.every((d) => placed.has(d)));
    const [index] = pending.splice(next, 1);
    order.push(index!);
    placed.add(index!);
  }
  return order;
}
