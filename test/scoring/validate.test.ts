import { scoreCvss } from '../../src/scoring/index.js';

const EXAMPLE_31 = 'Example: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const EXAMPLE_40 = 'Example: CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
const EXAMPLE_BOTH =
  'Example: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' +
  ' or CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
const NOT_A_VECTOR = 'not a CVSS vector: it must start with CVSS:3.1/ or CVSS:4.0/';

const V31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const V40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';

function errorOf(input: string): string {
  const result = scoreCvss(input);
  if (result.ok) throw new Error(`${input} was accepted`);
  return result.error;
}

describe('scoreCvss error messages', () => {
  it('rejects empty input', () => {
    for (const input of ['', '   ', '\n\t', '``', '``` ```']) {
      expect(errorOf(input)).toBe(`empty input: give a CVSS vector to score. ${EXAMPLE_BOTH}`);
    }
  });

  it('rejects a missing or wrong prefix', () => {
    expect(errorOf('AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBe(
      `${NOT_A_VECTOR} (the version prefix is missing). ${EXAMPLE_BOTH}`,
    );
    expect(errorOf('hello there')).toBe(
      `${NOT_A_VECTOR} (it starts with "hello there"). ${EXAMPLE_BOTH}`,
    );
    expect(errorOf('cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBe(
      `${NOT_A_VECTOR} (the prefix is case-sensitive: "cvss:3.1" must be written CVSS:3.1). ${EXAMPLE_BOTH}`,
    );
    expect(errorOf('CVSS:3.1AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBe(
      `${NOT_A_VECTOR} (a slash must follow CVSS:3.1). ${EXAMPLE_BOTH}`,
    );
    expect(errorOf('CVSS:2.0/AV:N/AC:L/Au:N/C:N/I:N/A:C')).toBe(
      `unsupported CVSS version 2.0: vulnbot scores CVSS 3.0, 3.1 and 4.0 vectors. ${EXAMPLE_BOTH}`,
    );
    expect(errorOf('CVSS:$/AV:N')).toBe(
      `${NOT_A_VECTOR} (it starts with "CVSS:$"). ${EXAMPLE_BOTH}`,
    );
  });

  it('names a missing base metric', () => {
    expect(errorOf('CVSS:3.1/AV:N/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBe(
      `missing base metric AC. ${EXAMPLE_31}`,
    );
    expect(errorOf('CVSS:4.0/AV:N/AC:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toBe(
      `missing base metrics AT and PR. ${EXAMPLE_40}`,
    );
    expect(errorOf('CVSS:3.0')).toBe(
      'missing base metrics AV, AC, PR, UI, S, C, I and A. ' +
        'Example: CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    );
  });

  it('rejects a metric given twice', () => {
    expect(errorOf(`${V31}/AV:N`)).toBe(`metric AV appears twice. ${EXAMPLE_31}`);
    expect(errorOf(`${V40}/E:A/E:A`)).toBe(`metric E appears twice. ${EXAMPLE_40}`);
  });

  it('rejects a value the metric does not take, listing the ones it does', () => {
    expect(errorOf('CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBe(
      `AV:Q is not a valid value; AV takes N, A, L or P. ${EXAMPLE_31}`,
    );
    expect(errorOf(`${V40}/MVI:S`)).toBe(
      `MVI:S is not a valid value; MVI takes X, H, L or N. ${EXAMPLE_40}`,
    );
    expect(errorOf(`${V40}/U:red`)).toBe(
      'U:red is not a valid value; U takes X, Clear, Green, Amber or Red ' +
        `(values are case-sensitive: write U:Red). ${EXAMPLE_40}`,
    );
  });

  it('rejects unknown metrics', () => {
    expect(errorOf(`${V31}/XX:Y`)).toBe(`unknown metric XX. ${EXAMPLE_31}`);
    expect(errorOf('CVSS:4.0/AV:N/ac:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toBe(
      `unknown metric ac (metric names are case-sensitive: write AC). ${EXAMPLE_40}`,
    );
    expect(errorOf('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/C:H/I:H/A:H')).toBe(
      `unknown metric C in a CVSS 4.0 vector (C is a CVSS 3.x metric). ${EXAMPLE_40}`,
    );
    expect(errorOf(`CVSS:3.1/AV:N/AC:L/AT:N/PR:N`)).toBe(
      `unknown metric AT in a CVSS 3.x vector (AT is a CVSS 4.0 metric). ${EXAMPLE_31}`,
    );
  });

  it('rejects CVSS 4.0 metrics out of specification order', () => {
    expect(errorOf('CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/SC:N/VI:H/SI:N/VA:H/SA:N')).toBe(
      `metric VI is out of order: CVSS 4.0 metrics go in specification order, VI before SC. ${EXAMPLE_40}`,
    );
    expect(errorOf(`${V40}/CR:H/E:A`)).toMatch(/^metric E is out of order: .* E before CR\./);
  });

  it('rejects malformed metrics, stray slashes and inner whitespace', () => {
    expect(errorOf('CVSS:3.1/AV:N/AC/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBe(
      `"AC" is not a metric: write each one as NAME:VALUE. ${EXAMPLE_31}`,
    );
    expect(errorOf('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toBe(
      `":H" has no metric name: write each metric as NAME:VALUE. ${EXAMPLE_40}`,
    );
    expect(errorOf('CVSS:4.0/AV:N/AC:L/AT:N/PR:/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toBe(
      `metric PR has no value; PR takes N, L or H. ${EXAMPLE_40}`,
    );
    expect(errorOf(`${V31}/XYZ:`)).toBe(
      `"XYZ:" is not a metric: write each one as NAME:VALUE. ${EXAMPLE_31}`,
    );
    expect(errorOf(`${V40}/E:A:P`)).toBe(
      `"E:A:P" is not a metric: write each one as NAME:VALUE. ${EXAMPLE_40}`,
    );
    expect(errorOf(`${V31}/`)).toBe(
      `empty metric (the vector ends with a slash): write metrics as NAME:VALUE separated by /. ${EXAMPLE_31}`,
    );
    expect(errorOf('CVSS:3.1/AV:N//AC:L')).toMatch(/^empty metric \(two slashes\)/);
    expect(errorOf('CVSS:3.1/AV:N/AC:L /PR:N/UI:N/S:U/C:H/I:H/A:H')).toBe(
      `a CVSS vector has no spaces or line breaks inside it. ${EXAMPLE_31}`,
    );
  });

  it('quotes at most 20 characters of the input', () => {
    const long = `${'Z'.repeat(30)}-this-part-must-not-appear`;
    const cases = [
      long,
      `CVSS:${long}/AV:N`,
      `CVSS:3.1/AV:${long}/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`,
      `CVSS:3.1/${long}:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`,
      `CVSS:4.0/AV:N/${long}`,
    ];
    for (const input of cases) {
      const error = errorOf(input);
      expect(error).toMatch(/"?[A-Z:]*Z+…/); // an excerpt, marked as cut
      expect(error).not.toContain('Z'.repeat(21));
      expect(error).not.toContain('must-not-appear');
    }
    expect(errorOf(`CVSS:3.1/AV:${'A'.repeat(5000)}`)).toBe(
      `the input is too long to be a CVSS vector (5012 characters). ${EXAMPLE_BOTH}`,
    );
  });

  it('does not repeat control characters', () => {
    expect(errorOf('CVSS:3.1/AV:\u0007\u202e/AC:L')).toBe(
      `AV:?? is not a valid value; AV takes N, A, L or P. ${EXAMPLE_31}`,
    );
  });
});
