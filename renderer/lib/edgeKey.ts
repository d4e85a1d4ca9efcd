/** One block edge as a string key "from-to:op" (the DAG drawing highlights edges by it). */
export function edgeKeyOf(e: { from: number; to: number; op: number }): string {
  return `${e.from}-${e.to}:${e.op}`;
}
