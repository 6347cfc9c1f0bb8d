/** What a ranged GET's Content-Range header (`bytes 0-0/1234`) says; parts it lacks are undefined. */
export function contentRange(response: Response): { readonly first: number | undefined; readonly total: number | undefined } {
  const header = response.headers.get('content-range') ?? '';
  const first = /^bytes (\d+)-/.exec(header)?.[1];
  const total = /\/(\d+)$/.exec(header)?.[1];
  return { first: first === undefined ? undefined : Number(first), total: total === undefined ? undefined : Number(total) };
}
