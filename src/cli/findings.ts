/**
 * What a check found. Warnings and errors start with the setting they are about and say the fix;
 * only errors make `check-config` fail.
 */
export type Level = 'ok' | 'warning' | 'error';

export interface Finding {
  level: Level;
  text: string;
}

export const ok = (text: string): Finding => ({ level: 'ok', text });
export const warning = (text: string): Finding => ({ level: 'warning', text });
export const error = (text: string): Finding => ({ level: 'error', text });

const LABEL: Record<Level, string> = { ok: 'ok     ', warning: 'WARNING', error: 'ERROR  ' };

export function formatFinding({ level, text }: Finding): string {
  return `  ${LABEL[level]}  ${text}`;
}

/** The last line: what to do next. */
export function verdict(findings: readonly Finding[]): string {
  const errors = findings.filter((f) => f.level === 'error').length;
  const warnings = findings.filter((f) => f.level === 'warning').length;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  if (errors > 0) {
    return `${count(errors, 'error')}, ${count(warnings, 'warning')}: fix the errors above, then run \`vulnbot check-config\` again.`;
  }
  return warnings > 0
    ? `Configuration OK, with ${count(warnings, 'warning')} (above).`
    : 'Configuration OK: every check passed.';
}
