/** Amounts as people read them; every amount in the sample is in EUR. */
export function eur(amount: number): string {
  return `${amount.toFixed(2)} EUR`;
}
