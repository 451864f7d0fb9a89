export async function main(argv: readonly string[]): Promise<number> {
  await Promise.resolve(argv);
  return 0;
}
