export interface DiffLine {
  readonly sign: ' ' | '-' | '+';
  readonly line: string;
}

/**
 * A line diff by longest common subsequence: enough for the few dozen lines of an access or filter
 * policy, where a reader wants to see which statement a declaration adds.
 */
export function diffLines(before: readonly string[], after: readonly string[]): DiffLine[] {
  const rows = before.length + 1;
  const columns = after.length + 1;
  const common: number[] = new Array<number>(rows * columns).fill(0);
  for (let i = before.length - 1; i >= 0; i--) {
    for (let j = after.length - 1; j >= 0; j--) {
      common[i * columns + j] = before[i] === after[j] ? common[(i + 1) * columns + j + 1]! + 1 : Math.max(common[(i + 1) * columns + j]!, common[i * columns + j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length && j < after.length) {
    if (before[i] === after[j]) {
      out.push({ sign: ' ', line: before[i]! });
      i++;
      j++;
    } else if (common[(i + 1) * columns + j]! >= common[i * columns + j + 1]!) {
      out.push({ sign: '-', line: before[i++]! });
    } else {
      out.push({ sign: '+', line: after[j++]! });
    }
  }
  while (i < before.length) out.push({ sign: '-', line: before[i++]! });
  while (j < after.length) out.push({ sign: '+', line: after[j++]! });
  return out;
}
