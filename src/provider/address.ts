/**
 * Where Terraform finds the forcedown provider: its source address
 * `registry.forcedown.dev/forcedown/forcedown` (HOSTNAME/NAMESPACE/TYPE). No registry answers at
 * that host: `forcedown provider install` puts the provider in a filesystem mirror laid out as
 * `HOSTNAME/NAMESPACE/TYPE/VERSION/OS_ARCH/terraform-provider-forcedown_vVERSION`, and the CLI
 * configuration it prints routes this address to the mirror.
 */
export const PROVIDER_HOSTNAME = 'registry.forcedown.dev';
export const PROVIDER_NAMESPACE = 'forcedown';
export const PROVIDER_TYPE = 'forcedown';

/** `registry.forcedown.dev/forcedown/forcedown` (the `source` in `required_providers`). */
export const PROVIDER_SOURCE = `${PROVIDER_HOSTNAME}/${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}`;
