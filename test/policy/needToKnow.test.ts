import { parsePolicy } from '../../src/config/load.js';
import { needToKnowGroup, rolesOf } from '../../src/policy/needToKnow.js';

const policy = parsePolicy(`
announceChannel: C0123
securityManagers: [USM1, USM2]
steeringCommittee: [USC1, USM2]
repos:
  Acme/Widget: { maintainers: [UMW1] }
  "*": { maintainers: [UDEF] }
`);

describe('need-to-know group (P2, P13)', () => {
  it('is the managers, the steering committee and the repository maintainers, each once', () => {
    expect(needToKnowGroup(policy, 'acme/widget')).toEqual(['USM1', 'USM2', 'USC1', 'UMW1']);
  });

  it('falls back to the "*" maintainers for a repository with no entry', () => {
    expect(needToKnowGroup(policy, 'acme/other')).toEqual(['USM1', 'USM2', 'USC1', 'UDEF']);
  });

  it('is managers and committee only when there is no "*" entry either', () => {
    const bare = parsePolicy('announceChannel: C0123\nsecurityManagers: [USM1]\n');
    expect(needToKnowGroup(bare, 'acme/widget')).toEqual(['USM1']);
  });

  it('knows the roles of each person', () => {
    expect(rolesOf(policy, 'acme/widget', 'USM2')).toEqual([
      'securityManager',
      'steeringCommittee',
    ]);
    expect(rolesOf(policy, 'acme/widget', 'UMW1')).toEqual(['maintainer']);
    expect(rolesOf(policy, 'acme/widget', 'UDEF')).toEqual([]);
    expect(rolesOf(policy, 'acme/widget', 'UOUTSIDER')).toEqual([]);
  });

  it('includes the people a security manager let in (access requests), passed in by the caller', () => {
    expect(needToKnowGroup(policy, 'acme/widget', ['UGUEST', 'UMW1'])).toEqual([
      'USM1',
      'USM2',
      'USC1',
      'UMW1',
      'UGUEST',
    ]);
    expect(rolesOf(policy, 'acme/widget', 'UGUEST', ['UGUEST'])).toEqual(['granted']);
    expect(rolesOf(policy, 'acme/widget', 'UGUEST')).toEqual([]);
  });
});
