/**
 * Names of keychain entries. The service is `connector:<linkName>`; within it, each connection
 * and each connector secret has its own account, so deleting one never touches another.
 */
export function serviceFor(linkName: string): string {
  return `connector:${linkName}`;
}

export function connectionAccount(connection: string): string {
  return `connection:${connection}`;
}

/** `clientSecret`, `consumerSecret` or `privateKey`, as referenced by `keychain` in the file. */
export function secretAccount(name: string): string {
  return `secret:${name}`;
}
