import semver from 'semver';

/** P9: the two versions a fix may ship in, spelt like the repository's latest release tag. */
export interface FixChoices {
  point: string;
  minor: string;
}

export type FixCheck = { ok: true; version: string } | { ok: false; error: string };

/**
 * A version as tags and advisory ranges write it: an optional `v`, one to three numeric parts
 * without leading zeros, and a pre-release only after all three parts. Nothing else: no build
 * metadata, no `1.2.x`, no surrounding text (semver.coerce would find `1.2.3` in `foo-1.2.3-bar`).
 */
const VERSION =
  /^([vV]?)(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?)?)?$/;

interface ParsedVersion {
  prefix: string;
  /** All three parts present, missing ones as 0: `v0.8` is `0.8.0`. */
  semver: semver.SemVer;
  /** How many numeric parts were written. */
  parts: number;
}

function parseVersion(text: string): ParsedVersion | undefined {
  const match = VERSION.exec(text.trim());
  if (!match) return undefined;
  const [, prefix = '', major = '0', minor, patch, pre] = match;
  const parts = patch !== undefined ? 3 : minor !== undefined ? 2 : 1;
  const full = `${major}.${minor ?? '0'}.${patch ?? '0'}${pre === undefined ? '' : `-${pre}`}`;
  const parsed = semver.parse(full);
  return parsed ? { prefix, semver: parsed, parts } : undefined;
}

/** A release: MAJOR.MINOR[.PATCH], optional `v`, no pre-release. */
function parseRelease(text: string): ParsedVersion | undefined {
  const version = parseVersion(text);
  if (!version || version.parts < 2 || version.semver.prerelease.length > 0) return undefined;
  return version;
}

/**
 * P9: after `v0.8.1` a fix ships in `v0.8.2` (point release) or `v0.9.0` (next release). A tag
 * with two parts counts as `.0` (`v0.8` → `v0.8.1`, `v0.9.0`); the answer keeps the tag's `v`
 * or its absence. Undefined when the tag is not a release version (pre-releases are not).
 */
export function fixVersionChoices(latestTag: string): FixChoices | undefined {
  const latest = parseRelease(latestTag);
  if (!latest) return undefined;
  const point = semver.inc(latest.semver, 'patch');
  const minor = semver.inc(latest.semver, 'minor');
  if (point === null || minor === null) return undefined;
  return { point: `${latest.prefix}${point}`, minor: `${latest.prefix}${minor}` };
}

function quote(text: string): string {
  const chars = Array.from(text.trim());
  const cut = chars.length > 40 ? `${chars.slice(0, 40).join('')}…` : chars.join('');
  return cut;
}

/**
 * P9 for `/vuln fix <version>`: only the point or the minor choice, with or without `v`, returned
 * spelt like the latest tag. Without a latest release any well-formed release version passes
 * (the caller warns that it could not be checked). Errors are plain text: escape them for Slack.
 */
export function checkFixVersion(input: string, latestTag: string | undefined): FixCheck {
  const version = parseRelease(input);
  if (latestTag === undefined) {
    if (!version) {
      return {
        ok: false,
        error: `"${quote(input)}" is not a release version: write it as MAJOR.MINOR.PATCH, e.g. v0.1.0. The repository has no release yet, so any release version is accepted.`,
      };
    }
    return { ok: true, version: `${version.prefix}${version.semver.version}` };
  }
  const choices = fixVersionChoices(latestTag);
  if (!choices) {
    return {
      ok: false,
      error: `The latest release tag ${quote(latestTag)} is not a MAJOR.MINOR[.PATCH] version, so vulnbot cannot tell which versions P9 allows for the fix.`,
    };
  }
  const both = `${choices.point} (point release) or ${choices.minor} (next release)`;
  if (!version) {
    return {
      ok: false,
      error: `"${quote(input)}" is not a release version: the latest release is ${quote(latestTag)}, so a fix ships in ${both}.`,
    };
  }
  for (const choice of [choices.point, choices.minor]) {
    const wanted = parseRelease(choice);
    if (wanted && semver.eq(wanted.semver, version.semver)) return { ok: true, version: choice };
  }
  return {
    ok: false,
    error: `${quote(input)} is not a fix version for this repository: the latest release is ${quote(latestTag)}, so a fix ships in ${both}. No backports (P9).`,
  };
}

const CONSTRAINT = /^(<=|>=|<|>|=)?\s*(\S+)$/;
const OPERATORS: readonly semver.Operator[] = ['<=', '>=', '<', '>', '='];

/** A constraint with no operator is an exact version. */
function operatorOf(text: string | undefined): semver.Operator {
  return OPERATORS.find((operator) => operator === text) ?? '=';
}

/** The version a range is checked against: MAJOR.MINOR[.PATCH][-pre], optional `v`. */
function parseTarget(text: string): ParsedVersion | undefined {
  const version = parseVersion(text);
  return version && version.parts >= 2 ? version : undefined;
}

/**
 * Whether `version` (a tag such as `v0.8.1`) is inside a GitHub `vulnerable_version_range`:
 * comma-separated constraints `<`, `<=`, `>`, `>=`, `=` or a bare version, all of which must hold.
 * Missing version parts count as 0, as GitHub compares them (`<= 1.2` is `<= 1.2.0`; the
 * placeholder `< 0` is `< 0.0.0` and so excludes every release). Undefined when the range or the
 * version cannot be parsed.
 */
export function rangeIncludes(range: string, version: string): boolean | undefined {
  const target = parseTarget(version);
  if (!target) return undefined;
  const constraints = range.split(',').map((part) => part.trim());
  if (constraints.some((part) => part === '')) return undefined;
  let included = true;
  for (const constraint of constraints) {
    const match = CONSTRAINT.exec(constraint);
    const bound = parseVersion(match?.[2] ?? '');
    if (!match || !bound) return undefined;
    if (!semver.cmp(target.semver, operatorOf(match[1]), bound.semver)) included = false;
  }
  return included;
}

/**
 * P8: does the report concern the latest release? `yes` when a range includes it, `no` when
 * every range that can be parsed excludes it (and at least one can), otherwise `unknown`.
 */
export function affectsLatest(
  ranges: string[],
  latestTag: string | undefined,
): 'yes' | 'no' | 'unknown' {
  if (latestTag === undefined || !parseTarget(latestTag)) return 'unknown';
  let excluded = 0;
  for (const range of ranges) {
    const included = rangeIncludes(range, latestTag);
    if (included === true) return 'yes';
    if (included === false) excluded++;
  }
  return excluded > 0 ? 'no' : 'unknown';
}
