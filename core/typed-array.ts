/** The typed arrays the simulator and the heap keep their per-entry columns in. */
export type NumericColumn = Float64Array | Int32Array | Uint8Array;

/**
 * A copy of `column` with room for `capacity` entries (the first column.length kept, the rest
 * zero): how the heap and the simulator's tables grow without allocating per entry.
 */
export function grownTo<A extends NumericColumn>(column: A, capacity: number): A {
  const bigger = new (column.constructor as new (length: number) => A)(capacity);
  bigger.set(column as ArrayLike<number>);
  return bigger;
}
