/** `Math.floor(a / b)` made exact where the division rounds up to an integer (huge windows). */
export function floorDiv(a: number, b: number): number {
  let quotient = Math.floor(a / b);
  if (quotient * b > a) quotient -= 1;
  else if ((quotient + 1) * b <= a) quotient += 1;
  return quotient;
}
