import { scoreCvss } from '../../src/scoring/index.js';

const BASE31 = 'AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const BASE40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';

describe('scoreCvss', () => {
  it('scores a CVSS 3.1 base vector', () => {
    expect(scoreCvss(`CVSS:3.1/${BASE31}`)).toEqual({
      ok: true,
      version: '3.1',
      vector: `CVSS:3.1/${BASE31}`,
      score: 9.8,
      rating: 'Critical',
    });
  });

  it('accepts CVSS 3.0 vectors', () => {
    expect(scoreCvss(`CVSS:3.0/${BASE31}`)).toEqual({
      ok: true,
      version: '3.0',
      vector: `CVSS:3.0/${BASE31}`,
      score: 9.8,
      rating: 'Critical',
    });
  });

  it('scores a CVSS 4.0 base vector', () => {
    expect(scoreCvss(BASE40)).toEqual({
      ok: true,
      version: '4.0',
      vector: BASE40,
      score: 9.3,
      rating: 'Critical',
    });
  });

  it('ignores surrounding whitespace and the backticks of Slack code', () => {
    for (const input of [
      `  ${BASE40}\n`,
      `\`${BASE40}\``,
      `\`\`\`${BASE40}\`\`\``,
      `\n\`\`\`\n${BASE40}\n\`\`\`\n`,
      ` \` ${BASE40} \` `,
    ]) {
      expect(scoreCvss(input)).toMatchObject({ ok: true, vector: BASE40, score: 9.3 });
    }
  });

  it('keeps CVSS 3.x metrics in the order given, which the 3.1 specification allows', () => {
    // Base 9.8 (below); temporal = Roundup(9.8 × E:P 0.94 = 9.212) = 9.3.
    const reordered = 'CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N/E:P';
    expect(scoreCvss(reordered)).toMatchObject({ ok: true, vector: reordered, score: 9.3 });
  });

  describe('CVSS 3.1 temporal and environmental metrics (checked by hand, v3.1 spec §7)', () => {
    it('gives the temporal score when only temporal metrics are set', () => {
      // Base: ISS = 1 - (1 - 0.56)^3 = 0.914816; Impact (S:U) = 6.42 × ISS = 5.87311872;
      // Exploitability = 8.22 × 0.85 × 0.77 × 0.85 × 0.85 = 3.887042775;
      // Base = Roundup(5.87311872 + 3.887042775 = 9.760161495) = 9.8.
      // Temporal = Roundup(9.8 × E:P 0.94 × RL:O 0.95 × RC:C 1) = Roundup(8.7514) = 8.8.
      expect(scoreCvss(`CVSS:3.1/${BASE31}/E:P/RL:O/RC:C`)).toMatchObject({
        ok: true,
        score: 8.8,
        rating: 'High',
      });
    });

    it('gives the environmental score when an environmental metric is set', () => {
      // MISS = min(1 - (1 - 0.5 × 0.56)^3, 0.915) = 1 - 0.72^3 = 0.626752;
      // ModifiedImpact (MS unchanged) = 6.42 × 0.626752 = 4.02374784;
      // ModifiedExploitability = 8.22 × 0.85 × 0.77 × 0.85 × 0.85 = 3.887042775;
      // Environmental = Roundup(Roundup(min(7.910790615, 10)) × 1 × 1 × 1) = 8.0 (base is 9.8).
      expect(scoreCvss(`CVSS:3.1/${BASE31}/CR:L/IR:L/AR:L`)).toMatchObject({
        ok: true,
        score: 8.0,
        rating: 'High',
      });
    });

    it('applies temporal metrics inside the environmental score, with scope changed', () => {
      // Base AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H is 9.6.
      // MISS = min(1 - (1 - 1.5 × 0.56)(1 - 0.56)(1 - 0.56), 0.915) = min(0.969024, 0.915) = 0.915;
      // ModifiedImpact (MS = S = changed) = 7.52 × (0.915 - 0.029)
      //   - 3.25 × (0.915 × 0.9731 - 0.02)^13 = 6.66272 - 0.534738 = 6.127982;
      // ModifiedExploitability = 8.22 × MAV:L 0.55 × 0.77 × PR:N 0.85 × UI:R 0.62 = 1.834577;
      // Roundup(min(1.08 × (6.127982 + 1.834577), 10)) = Roundup(8.599563) = 8.6;
      // Environmental = Roundup(8.6 × E:F 0.97 × RL:W 0.97 × RC:R 0.96 = 7.76807) = 7.8.
      const vector = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H/E:F/RL:W/RC:R/CR:H/MAV:L';
      expect(scoreCvss(vector)).toMatchObject({ ok: true, score: 7.8, rating: 'High' });
    });

    it('uses the 3.1 modified-impact formula for 3.1 and the 3.0 one for 3.0', () => {
      // ISS = MISS = 0.914816 (MAV:N changes nothing but makes the environmental score apply);
      // ModifiedExploitability = 8.22 × 0.85 × 0.77 × 0.85 × 0.62 = 2.83525473.
      // 3.1: ModifiedImpact = 7.52 × (MISS - 0.029) - 3.25 × (MISS × 0.9731 - 0.02)^13
      //   = 6.66133632 - 0.53331 = 6.128026; Roundup(1.08 × 8.963281 = 9.680344) = 9.7.
      // 3.0: ModifiedImpact = 7.52 × (MISS - 0.029) - 3.25 × (MISS - 0.02)^15
      //   = 6.66133632 - 0.613606 = 6.04773; Roundup(1.08 × 8.882985 = 9.593624) = 9.6.
      const metrics = 'AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H/MAV:N';
      expect(scoreCvss(`CVSS:3.1/${metrics}`)).toMatchObject({ ok: true, score: 9.7 });
      expect(scoreCvss(`CVSS:3.0/${metrics}`)).toMatchObject({ ok: true, score: 9.6 });
    });

    it('treats metrics set to X (Not Defined) as absent', () => {
      // The base score is 9.6; FIRST's calculator would show 9.7 as "environmental" score.
      const base = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H';
      expect(scoreCvss(base)).toMatchObject({ ok: true, score: 9.6 });
      expect(scoreCvss(`${base}/E:X/RL:X/RC:X/CR:X/MS:X`)).toMatchObject({ ok: true, score: 9.6 });
    });
  });

  describe('CVSS 4.0 threat, environmental and supplemental metrics', () => {
    it('scores the whole vector (CVSS-BTE)', () => {
      // FIRST reference scores (cvss-resources macro-scores).
      const full = 'AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H';
      expect(scoreCvss(`CVSS:4.0/${full}/E:U/CR:H/IR:H/AR:H/MSI:S/MSA:S`)).toMatchObject({
        ok: true,
        score: 9.5,
        rating: 'Critical',
      });
      expect(scoreCvss(`CVSS:4.0/${full}/E:U/CR:H/IR:H/AR:H`)).toMatchObject({ score: 9.1 });
    });

    it('does not let supplemental metrics change the score', () => {
      expect(scoreCvss(`${BASE40}/S:P/AU:Y/R:I/V:C/RE:H/U:Red`)).toMatchObject({
        ok: true,
        score: 9.3,
      });
    });

    it('rounds ties up (Math.round((v + 1e-6) * 10) / 10), not as FIRST reference data did', () => {
      // The first of the 157 corrections: FIRST's reference file says 1.5, the fix gives 1.6.
      const vector =
        'CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:P/VC:L/VI:N/VA:H/SC:N/SI:N/SA:L/E:U/CR:L/IR:M/AR:H' +
        '/MAV:L/MAC:L/MAT:P/MPR:H/MUI:N/MVC:L/MVI:X/MVA:X/MSC:L/MSI:N/MSA:X/S:X/AU:X/R:U/V:D' +
        '/RE:X/U:Green';
      expect(scoreCvss(vector)).toMatchObject({ ok: true, score: 1.6, rating: 'Low' });
    });
  });
});
