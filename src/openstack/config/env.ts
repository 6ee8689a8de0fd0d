/**
 * OS_* environment variables as openstacksdk reads them (`_get_os_environ`): every `OS_X_Y`
 * becomes key `x_y` of a cloud named `envvars` (or `OS_CLOUD_NAME`), except oslotest/CI variables
 * (`OS_TEST*`, `OS_STD*`, `OS_LOG*`). When only selector variables are set, there is no such cloud.
 */

/** Variables that select or modify a cloud rather than define one. */
export const SELECTOR_VARIABLES: ReadonlySet<string> = new Set([
  'OS_CLOUD',
  'OS_REGION_NAME',
  'OS_CLIENT_CONFIG_FILE',
  'OS_CLIENT_SECURE_FILE',
  'OS_CLOUD_NAME',
]);

/** The cloud settings the environment defines, or undefined when it defines none. */
export function cloudFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, unknown> | undefined {
  const values: Record<string, unknown> = {};
  let defining = false;
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('OS_') || value === undefined) continue;
    if (name.startsWith('OS_TEST') || name.startsWith('OS_STD') || name.startsWith('OS_LOG')) continue;
    values[name.slice(3).toLowerCase()] = value;
    if (!SELECTOR_VARIABLES.has(name)) defining = true;
  }
  if (!defining) return undefined;
  // selectors are not settings of the cloud itself
  delete values.cloud;
  delete values.cloud_name;
  delete values.client_config_file;
  delete values.client_secure_file;
  return values;
}
