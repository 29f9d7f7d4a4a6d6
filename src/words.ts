/** "1 delivery", "2 deliveries": a count and its noun, as messages and command output say them. */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
