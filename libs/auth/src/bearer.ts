/** The token of an `Authorization: Bearer …` header, or null. */
export function bearerToken(header: string | string[] | undefined): string | null {
  const credential = credentialOf(header);
  return credential?.scheme === 'bearer' ? credential.value : null;
}

/** The credential of an `Authorization: Bearer …` or `Authorization: ApiKey …` header, or null. */
export function credentialOf(header: string | string[] | undefined): { scheme: 'bearer' | 'apikey'; value: string } | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  const match = /^(Bearer|ApiKey)\s+(\S+)\s*$/i.exec(value);
  if (!match) return null;
  return { scheme: match[1].toLowerCase() === 'bearer' ? 'bearer' : 'apikey', value: match[2] };
}
