/**
 * Cleans a processor brand string so that the same processor reads the same everywhere:
 * drops trademark marks, the word `CPU` and a trailing `@ 2.40GHz`.
 * `Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz` → `Intel Xeon E5-2680 v4`.
 */
export function cleanCpuBrand(brand: string): string {
  return brand
    .replace(/\((?:R|TM|C)\)|[®™©]/gi, ' ')
    .replace(/\bCPU\b/g, ' ')
    .replace(/@\s*[\d.]+\s*[GM]Hz\s*$/i, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** One `cpus` entry: `Intel Xeon E5-2680 v4 (14 cores)`. */
export function cpuLabel(brand: string, cores: number): string {
  const name = cleanCpuBrand(brand) || 'Unknown processor';
  if (!Number.isFinite(cores) || cores < 1) return name;
  return `${name} (${cores} ${cores === 1 ? 'core' : 'cores'})`;
}

/** Joins non-empty parts with one space (`board vendor` + `board name`). */
export function joinParts(...parts: (string | undefined)[]): string {
  return parts
    .map((p) => (p ?? '').replace(/\s+/g, ' ').trim())
    .filter((p) => p !== '')
    .join(' ');
}
