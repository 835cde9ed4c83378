import {
  affectsLatest,
  checkFixVersion,
  fixVersionChoices,
  rangeIncludes,
} from '../../src/policy/releases.js';

describe('fixVersionChoices (P9)', () => {
  it('offers the next point release and the next minor release, in the tag style', () => {
    expect(fixVersionChoices('v0.8.1')).toEqual({ point: 'v0.8.2', minor: 'v0.9.0' });
    expect(fixVersionChoices('0.8.1')).toEqual({ point: '0.8.2', minor: '0.9.0' });
    expect(fixVersionChoices('v1.2.9')).toEqual({ point: 'v1.2.10', minor: 'v1.3.0' });
  });

  it('reads a two-part tag as .0', () => {
    expect(fixVersionChoices('v0.8')).toEqual({ point: 'v0.8.1', minor: 'v0.9.0' });
    expect(fixVersionChoices('2.0')).toEqual({ point: '2.0.1', minor: '2.1.0' });
  });

  it('is undefined for pre-releases and anything that is not a release version', () => {
    for (const tag of [
      'v0.9.0-rc.1',
      '1.0.0-beta',
      'v1.2.3+build.5',
      'v1',
      'release-0.8.1',
      'v0.8.1-final-fix',
      '0.08.1',
      'v0.8.1.2',
      'latest',
      '',
    ]) {
      expect(fixVersionChoices(tag)).toBeUndefined();
    }
  });
});

describe('checkFixVersion (P9)', () => {
  it('accepts the point and the minor choice, in the tag style', () => {
    expect(checkFixVersion('v0.8.2', 'v0.8.1')).toEqual({ ok: true, version: 'v0.8.2' });
    expect(checkFixVersion('v0.9.0', 'v0.8.1')).toEqual({ ok: true, version: 'v0.9.0' });
  });

  it('normalises the v prefix and a two-part version to the tag style', () => {
    expect(checkFixVersion('0.8.2', 'v0.8.1')).toEqual({ ok: true, version: 'v0.8.2' });
    expect(checkFixVersion('v0.9.0', '0.8.1')).toEqual({ ok: true, version: '0.9.0' });
    expect(checkFixVersion('v0.9', 'v0.8.1')).toEqual({ ok: true, version: 'v0.9.0' });
    expect(checkFixVersion(' V0.8.2 ', 'v0.8.1')).toEqual({ ok: true, version: 'v0.8.2' });
    expect(checkFixVersion('v0.8.1', 'v0.8')).toEqual({ ok: true, version: 'v0.8.1' });
  });

  it('rejects any other version, naming the latest release and both choices', () => {
    const rest =
      'is not a fix version for this repository: the latest release is v0.8.1, so a fix ships in v0.8.2 (point release) or v0.9.0 (next release). No backports (P9).';
    for (const input of ['v1.0.0', 'v0.8.1', 'v0.7.9', 'v0.8.3', 'v0.9.1', 'v0.10.0']) {
      expect(checkFixVersion(input, 'v0.8.1')).toEqual({ ok: false, error: `${input} ${rest}` });
    }
  });

  it('rejects what is not a release version, still suggesting both choices', () => {
    expect(checkFixVersion('next', 'v0.8.1')).toEqual({
      ok: false,
      error:
        '"next" is not a release version: the latest release is v0.8.1, so a fix ships in v0.8.2 (point release) or v0.9.0 (next release).',
    });
    expect(checkFixVersion('v0.8.2-rc.1', 'v0.8.1').ok).toBe(false);
  });

  it('shortens the input it repeats (plain text: Slack escaping is done where it is worded)', () => {
    const result = checkFixVersion(`<!channel>${'z'.repeat(60)}`, 'v0.8.1');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toContain(`"<!channel>${'z'.repeat(30)}…" is not a release version`);
  });

  it('without a latest release, accepts any release version and says so when rejecting', () => {
    expect(checkFixVersion('v0.1.0', undefined)).toEqual({ ok: true, version: 'v0.1.0' });
    expect(checkFixVersion('3.4', undefined)).toEqual({ ok: true, version: '3.4.0' });
    expect(checkFixVersion('soon', undefined)).toEqual({
      ok: false,
      error:
        '"soon" is not a release version: write it as MAJOR.MINOR.PATCH, e.g. v0.1.0. The repository has no release yet, so any release version is accepted.',
    });
    expect(checkFixVersion('v1.0.0-rc.1', undefined).ok).toBe(false);
  });

  it('refuses to check against a latest tag that is not a version', () => {
    expect(checkFixVersion('v0.8.2', 'nightly')).toEqual({
      ok: false,
      error:
        'The latest release tag nightly is not a MAJOR.MINOR[.PATCH] version, so vulnbot cannot tell which versions P9 allows for the fix.',
    });
  });
});

describe('rangeIncludes', () => {
  it('reads single constraints', () => {
    expect(rangeIncludes('< 1.2.3', 'v1.2.2')).toBe(true);
    expect(rangeIncludes('< 1.2.3', 'v1.2.3')).toBe(false);
    expect(rangeIncludes('<= 1.2.3', 'v1.2.3')).toBe(true);
    expect(rangeIncludes('> 1.2.3', 'v1.2.3')).toBe(false);
    expect(rangeIncludes('>= 1.2.3', '1.2.3')).toBe(true);
    expect(rangeIncludes('= 0.8.1', 'v0.8.1')).toBe(true);
    expect(rangeIncludes('= 0.8.1', 'v0.8.2')).toBe(false);
    expect(rangeIncludes('0.8.1', 'v0.8.1')).toBe(true);
    expect(rangeIncludes('0.8.1', 'v0.8.0')).toBe(false);
    expect(rangeIncludes('<1.2.3', 'v1.2.2')).toBe(true);
    expect(rangeIncludes('< v1.2.3', 'v1.2.2')).toBe(true);
  });

  it('compares numerically, not as text', () => {
    expect(rangeIncludes('< 0.10.0', 'v0.9.0')).toBe(true);
    expect(rangeIncludes('< 0.9.0', 'v0.10.0')).toBe(false);
  });

  it('treats missing parts as 0', () => {
    expect(rangeIncludes('<= 1.2', 'v1.2.0')).toBe(true);
    expect(rangeIncludes('<= 1.2', 'v1.2.1')).toBe(false);
    expect(rangeIncludes('< 1', 'v0.9.9')).toBe(true);
    expect(rangeIncludes('>= 0.8, < 0.9', 'v0.8')).toBe(true);
  });

  it('requires every comma-separated constraint to hold', () => {
    expect(rangeIncludes('>= 1.0.0, < 1.2.0', 'v1.1.5')).toBe(true);
    expect(rangeIncludes('>= 1.0.0, < 1.2.0', 'v1.2.0')).toBe(false);
    expect(rangeIncludes('>= 1.0.0, < 1.2.0', 'v0.9.9')).toBe(false);
    expect(rangeIncludes('>=1.0.0,<1.2.0', 'v1.0.0')).toBe(true);
  });

  it("reads GitHub's placeholders < 0 and > 0", () => {
    expect(rangeIncludes('<0', 'v0.8.1')).toBe(false);
    expect(rangeIncludes('< 0', 'v0.0.1')).toBe(false);
    expect(rangeIncludes('>0', 'v0.8.1')).toBe(true);
    expect(rangeIncludes('> 0', 'v0.0.0')).toBe(false);
  });

  it('orders pre-releases before their release', () => {
    expect(rangeIncludes('< 1.0.0', 'v1.0.0-rc.1')).toBe(true);
    expect(rangeIncludes('< 1.0.0-rc.2', 'v1.0.0-rc.1')).toBe(true);
  });

  it('is undefined when the range or the version cannot be parsed', () => {
    for (const range of [
      '',
      '   ',
      '< 1.2.3,',
      ', < 1.2.3',
      '>= 1.0.0 < 1.2.0',
      '~1.2.3',
      '^1.2.3',
      '1.2.x',
      '!= 1.2.3',
      '< 1.2.3 || > 2.0.0',
      '<< 1.2.3',
      'all versions',
    ]) {
      expect(rangeIncludes(range, 'v0.8.1')).toBeUndefined();
    }
    expect(rangeIncludes('< 1.2.3', 'latest')).toBeUndefined();
    expect(rangeIncludes('< 1.2.3', 'v1')).toBeUndefined();
    expect(rangeIncludes('< 1.2.3', '')).toBeUndefined();
  });
});

describe('affectsLatest (P8)', () => {
  it('is yes when any range includes the latest release', () => {
    expect(affectsLatest(['< 0.8.0', '>= 0.8.0, <= 0.8.1'], 'v0.8.1')).toBe('yes');
    expect(affectsLatest(['junk', '>0'], 'v0.8.1')).toBe('yes');
  });

  it('is no when every parseable range excludes it', () => {
    expect(affectsLatest(['< 0.8.0'], 'v0.8.1')).toBe('no');
    expect(affectsLatest(['< 0.8.0', '= 0.7.0'], 'v0.8.1')).toBe('no');
    expect(affectsLatest(['<0'], 'v0.8.1')).toBe('no');
    expect(affectsLatest(['< 0.8.0', 'junk'], 'v0.8.1')).toBe('no');
  });

  it('is unknown when nothing can be decided', () => {
    expect(affectsLatest([], 'v0.8.1')).toBe('unknown');
    expect(affectsLatest(['', 'junk'], 'v0.8.1')).toBe('unknown');
    expect(affectsLatest(['< 0.8.0'], undefined)).toBe('unknown');
    expect(affectsLatest(['< 0.8.0'], 'nightly')).toBe('unknown');
  });
});
