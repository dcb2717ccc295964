// Venues for the benchmarks: row names a seat id can end with a number after.

/** Row names of A-Z letters (a row id may not end in a digit): A..Z, AA..ZZ, AAA... */
export function rowName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}
