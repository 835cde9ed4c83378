import { fixtureLines, redHatReference, scoringMismatches } from './referenceData.js';

// RedHat's cvss library test vectors (RedHatProductSecurity/cvss @ 2f149099, tests/). Their 4.0
// scores follow the fixed rounding; their 3.1 scores come from FIRST's 3.1 calculator.
describe('RedHat cvss test vectors', () => {
  it.each([
    ['vectors_simple31', 2592], // every CVSS 3.1 base vector; the first number is the base score
    ['vectors_simple4', 1058],
    ['vectors_supplemental4', 576],
    ['vectors_security4', 54],
    ['vectors_threat4', 6],
  ])('scores every vector of %s like the reference (%i vectors)', (file, count) => {
    const references = fixtureLines(file).map(redHatReference);
    expect(references).toHaveLength(count);
    expect(scoringMismatches(references)).toEqual([]);
  });
});
