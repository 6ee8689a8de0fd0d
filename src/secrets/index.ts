export { REDACTED, SecretRegistry, redact, redactDeep, secrets } from './secret-registry.js';
