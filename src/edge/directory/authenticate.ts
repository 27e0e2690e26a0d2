// Who a directory request is from, and whether the business it names is one of that directory's.
// Both answers take the same time whatever the input: every token digest is compared, and the
// business is looked up by (directory's reseller, business uid) in memory, so a business of
// another directory and one that exists nowhere are the same miss (no store read for either).
import type { CustomerMapping, DirectoryMapping } from '../../config/mappings.js';
import { digestsEqual, hashToken } from '../../core/credentials.js';

export class DirectoryAuthenticator {
  private readonly memberships: ReadonlySet<string>;

  constructor(
    private readonly directories: readonly DirectoryMapping[],
    customers: readonly CustomerMapping[],
  ) {
    this.memberships = new Set(customers.flatMap((c) => (c.business_uid ? [membership(c.reseller, c.business_uid)] : [])));
  }

  /** The directory the token belongs to, compared in constant time against every directory. */
  directoryFor(token: string | undefined): DirectoryMapping | undefined {
    if (token === undefined) return undefined;
    const digest = hashToken(token);
    let found: DirectoryMapping | undefined;
    for (const directory of this.directories) if (digestsEqual(directory.token_hmac, digest)) found = directory;
    return found;
  }

  /** Whether the mappings give this business to the directory (its reseller's customers). */
  serves(directory: DirectoryMapping, businessUid: string): boolean {
    return this.memberships.has(membership(directory.reseller, businessUid));
  }
}

const membership = (reseller: string, businessUid: string) => `${reseller}\u0000${businessUid}`;
