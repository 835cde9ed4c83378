/** Reads Prometheus text exposition (version 0.0.4) the way a scraper would, for assertions. */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** `GET /metrics` of the bot on `port`: its text and content type. */
export async function scrape(port: number): Promise<{ text: string; contentType: string | null }> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return { text: await response.text(), contentType: response.headers.get('content-type') };
}

const LINE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g;

/** Every sample of `name`, with its labels unescaped. */
export function samples(text: string, name: string): Sample[] {
  return text.split('\n').flatMap((line) => {
    const match = LINE.exec(line);
    if (!match || match[1] !== name) return [];
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) {
      labels[key as string] = (value as string).replace(/\\(.)/g, (_, c: string) =>
        c === 'n' ? '\n' : c,
      );
    }
    return [{ name, labels, value: Number(match[3]) }];
  });
}

/** The value of the one sample of `name` whose labels include `labels`, if there is one. */
export function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples(text, name).filter((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match`);
  return found[0]?.value;
}
