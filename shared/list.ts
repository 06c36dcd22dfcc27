// One value or several, as the lab file allows for binds, connects, sources and next hops
// (`bind: X` or `bind: [X, Y]`). The endpoints themselves are parsed by shared/endpoint.ts.

export function list<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
