import { exampleFor, excerpt, listWith } from './messages.js';
import { CVSS3, CVSS4, type MetricDefinition, type VectorFormat } from './metrics.js';
import type { CvssVersion } from './types.js';

/** A vector that is safe to hand to the calculator: known version, every metric checked. */
export interface ValidVector {
  version: CvssVersion;
  /** The vector as given (prefix and metrics in the order given), without surrounding noise. */
  vector: string;
}

export type Validation = { ok: true; value: ValidVector } | { ok: false; error: string };

/** Far longer than any valid vector (a CVSS 4.0 vector with every metric is under 200). */
export const MAX_INPUT_LENGTH = 512;

const FORMATS: Readonly<Record<CvssVersion, VectorFormat>> = {
  '3.0': CVSS3,
  '3.1': CVSS3,
  '4.0': CVSS4,
};
const VERSIONS = Object.keys(FORMATS) as CvssVersion[];

interface Position {
  readonly definition: MetricDefinition;
  readonly index: number;
}
const POSITIONS = new Map<VectorFormat, ReadonlyMap<string, Position>>(
  [CVSS3, CVSS4].map((format) => [
    format,
    new Map(format.metrics.map((definition, index) => [definition.name, { definition, index }])),
  ]),
);

const NOT_A_VECTOR = 'not a CVSS vector: it must start with CVSS:3.1/ or CVSS:4.0/';

/** Trims whitespace and the backticks Slack users put around pasted code. */
export function cleanInput(input: string): string {
  return input.trim().replace(/^`+/, '').replace(/`+$/, '').trim();
}

/**
 * Checks a CVSS 3.0, 3.1 or 4.0 vector strictly, before any scoring (the calculator library
 * accepts many invalid vectors). CVSS 4.0 follows FIRST's JSON schema vector pattern: every base
 * metric exactly once, all metrics in specification order, each at most once, allowed values
 * only. CVSS 3.x follows the v3.1 specification §6: every base metric exactly once, temporal and
 * environmental metrics optional, any order, no metric twice, allowed values only.
 * Errors say what is wrong, quote at most a short piece of the input and end with an example.
 */
export function validateVector(input: string): Validation {
  const text = cleanInput(input);
  if (text === '') return fail('empty input: give a CVSS vector to score');
  if (text.length > MAX_INPUT_LENGTH) {
    return fail(`the input is too long to be a CVSS vector (${text.length} characters)`);
  }
  const [prefix = '', ...parts] = text.split('/');
  const version = VERSIONS.find((candidate) => prefix === `CVSS:${candidate}`);
  if (version === undefined) return fail(prefixProblem(prefix));
  if (/\s/.test(text)) {
    return fail('a CVSS vector has no spaces or line breaks inside it', version);
  }

  const format = FORMATS[version];
  const positions = POSITIONS.get(format) ?? new Map<string, Position>();
  const seen = new Set<string>();
  let latest: Position | undefined; // the metric furthest along the specification order so far
  for (const [index, token] of parts.entries()) {
    if (token === '') {
      const where = index === parts.length - 1 ? 'the vector ends with a slash' : 'two slashes';
      return fail(`empty metric (${where}): write metrics as NAME:VALUE separated by /`, version);
    }
    const fields = token.split(':');
    const [name = '', value = ''] = fields;
    const position = positions.get(name);
    if (fields.length !== 2 || name === '' || value === '') {
      return fail(malformedMetric(token, fields.length, position?.definition), version);
    }
    if (position === undefined) return fail(unknownMetric(name, format, positions), version);
    if (seen.has(name)) return fail(`metric ${name} appears twice`, version);
    const { definition } = position;
    if (!definition.values.includes(value)) return fail(badValue(definition, value), version);
    if (format.ordered && latest !== undefined && position.index < latest.index) {
      return fail(
        `metric ${name} is out of order: ${format.label} metrics go in specification order, ` +
          `${name} before ${latest.definition.name}`,
        version,
      );
    }
    seen.add(name);
    if (latest === undefined || position.index > latest.index) latest = position;
  }

  const missing = format.metrics
    .filter((definition) => definition.group === 'base' && !seen.has(definition.name))
    .map((definition) => definition.name);
  if (missing.length > 0) {
    const metrics = missing.length === 1 ? 'metric' : 'metrics';
    return fail(`missing base ${metrics} ${listWith('and', missing)}`, version);
  }
  return { ok: true, value: { version, vector: text } };
}

function fail(problem: string, version?: CvssVersion): Validation {
  return { ok: false, error: `${problem}. ${exampleFor(version)}` };
}

function prefixProblem(prefix: string): string {
  const quoted = `"${excerpt(prefix)}"`;
  const upper = prefix.toUpperCase();
  if (VERSIONS.some((version) => upper === `CVSS:${version}`)) {
    return `${NOT_A_VECTOR} (the prefix is case-sensitive: ${quoted} must be written ${upper})`;
  }
  const glued = VERSIONS.find((version) => upper.startsWith(`CVSS:${version}`));
  if (glued !== undefined) return `${NOT_A_VECTOR} (a slash must follow CVSS:${glued})`;
  const version = /^CVSS:(\d+(?:\.\d+)?)$/.exec(prefix)?.[1];
  if (version !== undefined) {
    return `unsupported CVSS version ${excerpt(version)}: vulnbot scores CVSS 3.0, 3.1 and 4.0 vectors`;
  }
  if (!upper.startsWith('CVSS:') && /^[A-Za-z]{1,3}:[^:]*$/.test(prefix)) {
    return `${NOT_A_VECTOR} (the version prefix is missing)`; // it starts with a metric
  }
  return `${NOT_A_VECTOR} (it starts with ${quoted})`;
}

function malformedMetric(token: string, fields: number, known?: MetricDefinition): string {
  const quoted = `"${excerpt(token)}"`;
  if (fields === 2 && token.startsWith(':')) {
    return `${quoted} has no metric name: write each metric as NAME:VALUE`;
  }
  if (fields === 2 && known !== undefined) {
    return `metric ${known.name} has no value; ${known.name} takes ${listWith('or', known.values)}`;
  }
  return `${quoted} is not a metric: write each one as NAME:VALUE`;
}

function unknownMetric(
  name: string,
  format: VectorFormat,
  positions: ReadonlyMap<string, Position>,
): string {
  const problem = `unknown metric ${excerpt(name)}`;
  const upper = name.toUpperCase();
  if (upper !== name && positions.has(upper)) {
    return `${problem} (metric names are case-sensitive: write ${upper})`;
  }
  const other = format === CVSS4 ? CVSS3 : CVSS4;
  if (other.metrics.some((definition) => definition.name === name)) {
    return `${problem} in a ${format.label} vector (${name} is a ${other.label} metric)`;
  }
  return problem;
}

function badValue(definition: MetricDefinition, value: string): string {
  const { name, values } = definition;
  const problem = `${name}:${excerpt(value)} is not a valid value; ${name} takes ${listWith('or', values)}`;
  const lower = value.toLowerCase();
  const meant = values.find((allowed) => allowed.toLowerCase() === lower);
  return meant === undefined
    ? problem
    : `${problem} (values are case-sensitive: write ${name}:${meant})`;
}
