/**
 * The metrics each CVSS version defines, with their allowed values, in specification order.
 *
 * CVSS 3.0 and 3.1 share one metric set (specification v3.1 §2-§4, Table 15; v3.0 is identical).
 * CVSS 4.0's set and order are those of FIRST's CVSS v4.0 JSON schema vector pattern
 * (Base, Threat, Environmental, Supplemental), which requires every metric in this order.
 */

export type MetricGroup = 'base' | 'temporal' | 'threat' | 'environmental' | 'supplemental';

export interface MetricDefinition {
  readonly name: string;
  readonly group: MetricGroup;
  /** Allowed values, case-sensitive, in the order the specification lists them. */
  readonly values: readonly string[];
}

export interface VectorFormat {
  readonly label: string;
  /** Every metric of the version, in specification order; the base ones are mandatory. */
  readonly metrics: readonly MetricDefinition[];
  /** Whether metrics must appear in specification order (4.0) or may come in any order (3.x). */
  readonly ordered: boolean;
  /** A valid base vector without its prefix, for error messages. */
  readonly exampleMetrics: string;
}

function metric(group: MetricGroup, name: string, values: string): MetricDefinition {
  return { name, group, values: values.split(' ') };
}

/** CVSS 3.0 and 3.1. Programs must accept these metrics in any order (v3.1 specification §6). */
export const CVSS3: VectorFormat = {
  label: 'CVSS 3.x',
  ordered: false,
  exampleMetrics: 'AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
  metrics: [
    metric('base', 'AV', 'N A L P'),
    metric('base', 'AC', 'L H'),
    metric('base', 'PR', 'N L H'),
    metric('base', 'UI', 'N R'),
    metric('base', 'S', 'U C'),
    metric('base', 'C', 'H L N'),
    metric('base', 'I', 'H L N'),
    metric('base', 'A', 'H L N'),
    metric('temporal', 'E', 'X H F P U'),
    metric('temporal', 'RL', 'X U W T O'),
    metric('temporal', 'RC', 'X C R U'),
    metric('environmental', 'CR', 'X H M L'),
    metric('environmental', 'IR', 'X H M L'),
    metric('environmental', 'AR', 'X H M L'),
    metric('environmental', 'MAV', 'X N A L P'),
    metric('environmental', 'MAC', 'X L H'),
    metric('environmental', 'MPR', 'X N L H'),
    metric('environmental', 'MUI', 'X N R'),
    metric('environmental', 'MS', 'X U C'),
    metric('environmental', 'MC', 'X H L N'),
    metric('environmental', 'MI', 'X H L N'),
    metric('environmental', 'MA', 'X H L N'),
  ],
};

/** CVSS 4.0, in the order FIRST's JSON schema requires. */
export const CVSS4: VectorFormat = {
  label: 'CVSS 4.0',
  ordered: true,
  exampleMetrics: 'AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
  metrics: [
    metric('base', 'AV', 'N A L P'),
    metric('base', 'AC', 'L H'),
    metric('base', 'AT', 'N P'),
    metric('base', 'PR', 'N L H'),
    metric('base', 'UI', 'N P A'),
    metric('base', 'VC', 'H L N'),
    metric('base', 'VI', 'H L N'),
    metric('base', 'VA', 'H L N'),
    metric('base', 'SC', 'H L N'),
    metric('base', 'SI', 'H L N'),
    metric('base', 'SA', 'H L N'),
    metric('threat', 'E', 'X A P U'),
    metric('environmental', 'CR', 'X H M L'),
    metric('environmental', 'IR', 'X H M L'),
    metric('environmental', 'AR', 'X H M L'),
    metric('environmental', 'MAV', 'X N A L P'),
    metric('environmental', 'MAC', 'X L H'),
    metric('environmental', 'MAT', 'X N P'),
    metric('environmental', 'MPR', 'X N L H'),
    metric('environmental', 'MUI', 'X N P A'),
    metric('environmental', 'MVC', 'X H L N'),
    metric('environmental', 'MVI', 'X H L N'),
    metric('environmental', 'MVA', 'X H L N'),
    metric('environmental', 'MSC', 'X H L N'),
    metric('environmental', 'MSI', 'X S H L N'),
    metric('environmental', 'MSA', 'X S H L N'),
    metric('supplemental', 'S', 'X N P'),
    metric('supplemental', 'AU', 'X N Y'),
    metric('supplemental', 'R', 'X A U I'),
    metric('supplemental', 'V', 'X D C'),
    metric('supplemental', 'RE', 'X L M H'),
    metric('supplemental', 'U', 'X Clear Green Amber Red'),
  ],
};
