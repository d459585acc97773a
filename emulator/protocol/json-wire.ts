/** JSON as the AWS JSON protocols write it: Dates as epoch seconds (with millisecond fractions). */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value ?? {}, function (this: any, key: string, v: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : v;
  });
}
