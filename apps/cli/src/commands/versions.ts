import { seg, type FalajClient } from '../http-client';

export interface VersionView {
  model: string;
  version: number;
  stage: string;
  aliases?: string[];
  sha256: string;
  sizeBytes: number;
  createdAt?: string;
}

export async function versionsOf(client: FalajClient, model: string): Promise<VersionView[]> {
  return (await client.json<{ versions: VersionView[] }>('GET', `/admin/models/${seg(model)}/versions`, { what: `list versions of '${model}'` })).versions;
}
