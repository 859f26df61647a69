/** The process environment, read here and nowhere else (ARCHITECTURE.md rule 2). */
export function loadEnv(): Record<string, string | undefined> {
  return { ...process.env };
}
