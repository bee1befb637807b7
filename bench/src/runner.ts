import { max, median, min } from './stats';

/** One round's measurements of one contender, by metric key. */
export type Metrics = Record<string, number>;

export interface RoundInfo {
  /** 0-based; -1 for the warm-up. */
  readonly round: number;
  readonly warmup: boolean;
}

export interface Contender {
  readonly name: string;
  /** The settings it runs with, shown in the table. */
  readonly settings: string;
  /** The raw-SDK baseline the others are compared with. */
  readonly baseline?: boolean;
  run(round: RoundInfo): Promise<Metrics>;
}

export interface Column {
  readonly key: string;
  readonly label: string;
  readonly digits?: number;
  /** Show min–max beside the median. */
  readonly spread?: boolean;
  /** Add a "× raw" column: this contender's median over the baseline's. */
  readonly ratio?: boolean;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** What was measured and how, printed under the table. */
  readonly description: string;
  readonly columns: readonly Column[];
  readonly contenders: readonly Contender[];
  /** Header of the ratio columns; default "× raw". */
  readonly ratioLabel?: string;
  readonly rounds: number;
  /** Run every contender once, unrecorded, before the rounds. Default true. */
  readonly warmup?: boolean;
  /** Called before the contenders run (e.g. to start a server), and after. */
  readonly setUp?: () => Promise<void>;
  readonly tearDown?: () => Promise<void>;
}

export interface ContenderResult {
  readonly name: string;
  readonly settings: string;
  readonly baseline: boolean;
  readonly samples: Metrics[];
  readonly summary: Record<string, { median: number; min: number; max: number }>;
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly columns: readonly Column[];
  readonly ratioLabel: string;
  readonly contenders: ContenderResult[];
  readonly durationMs: number;
}

type Log = (line: string) => void;

/**
 * Runs every contender once as a warm-up, then `rounds` rounds in which each contender runs once;
 * the order rotates from round to round, so no contender always runs first (or right after the
 * same neighbour).
 */
export async function runScenario(scenario: Scenario, log: Log): Promise<ScenarioResult> {
  const started = performance.now();
  const samples = new Map<Contender, Metrics[]>(scenario.contenders.map((contender) => [contender, []]));
  await scenario.setUp?.();
  try {
    if (scenario.warmup ?? true) {
      for (const contender of scenario.contenders) {
        const metrics = await contender.run({ round: -1, warmup: true });
        log(`  warm-up  ${contender.name.padEnd(34)} ${format(metrics)}`);
      }
    }
    const count = scenario.contenders.length;
    for (let round = 0; round < scenario.rounds; round++) {
      for (let index = 0; index < count; index++) {
        const contender = scenario.contenders[(index + round) % count]!;
        const metrics = await contender.run({ round, warmup: false });
        samples.get(contender)!.push(metrics);
        log(`  round ${round + 1}  ${contender.name.padEnd(34)} ${format(metrics)}`);
      }
    }
  } finally {
    await scenario.tearDown?.();
  }
  return {
    id: scenario.id,
    title: scenario.title,
    description: scenario.description,
    columns: scenario.columns,
    ratioLabel: scenario.ratioLabel ?? '× raw',
    durationMs: performance.now() - started,
    contenders: scenario.contenders.map((contender) => {
      const list = samples.get(contender)!;
      const keys = new Set(list.flatMap((metrics) => Object.keys(metrics)));
      const summary: ContenderResult['summary'] = {};
      for (const key of keys) {
        const values = list.map((metrics) => metrics[key]).filter((value): value is number => value !== undefined && !Number.isNaN(value));
        summary[key] = { median: median(values), min: min(values), max: max(values) };
      }
      return { name: contender.name, settings: contender.settings, baseline: contender.baseline ?? false, samples: list, summary };
    }),
  };
}

function format(metrics: Metrics): string {
  return Object.entries(metrics)
    .map(([key, value]) => `${key}=${Number.isInteger(value) ? value : value.toFixed(1)}`)
    .join(' ');
}

function number(value: number | undefined, digits = 0): string {
  if (value === undefined || Number.isNaN(value) || !Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A markdown table: one row per contender, the median of each column (and min–max, ratio where asked). */
export function table(result: ScenarioResult): string {
  const baseline = result.contenders.find((contender) => contender.baseline);
  const header = ['contender', 'settings'];
  for (const column of result.columns) {
    header.push(column.spread ? `${column.label} median (min–max)` : column.label);
    if (column.ratio) header.push(result.ratioLabel);
  }
  header.push('notes');
  const rows = result.contenders.map((contender) => {
    const cells = [contender.baseline ? `**${contender.name}**` : contender.name, contender.settings];
    for (const column of result.columns) {
      const stat = contender.summary[column.key];
      const text = number(stat?.median, column.digits);
      cells.push(column.spread && stat ? `${text} (${number(stat.min, column.digits)}–${number(stat.max, column.digits)})` : text);
      if (column.ratio) {
        const base = baseline?.summary[column.key]?.median;
        cells.push(stat && base ? `${(stat.median / base).toFixed(2)}×` : '–');
      }
    }
    cells.push(notes(contender));
    return cells;
  });
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function notes(contender: ContenderResult): string {
  const out: string[] = [];
  const capped = contender.samples.filter((sample) => sample.capped === 1);
  if (capped.length > 0) {
    const handled = median(capped.map((sample) => sample.handled ?? 0));
    out.push(`time-capped in ${capped.length}/${contender.samples.length} rounds (median ${number(handled)} msgs handled)`);
  }
  const leftovers = contender.samples.filter((sample) => sample.capped !== 1 && (sample.leftover ?? 0) > 0);
  if (leftovers.length > 0) out.push(`⚠ messages left on the queue in ${leftovers.length} round(s)`);
  const lost = contender.samples.filter((sample) => (sample.missing ?? 0) > 0);
  if (lost.length > 0) out.push(`⚠ messages missing in ${lost.length} round(s)`);
  return out.join('; ');
}
