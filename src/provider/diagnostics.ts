/**
 * Diagnostics: what Terraform shows the user (severity, summary, detail, the attribute it is
 * about). Every text passes through the secret registry before it leaves the process, and
 * every error says what to do next.
 */
import { isForcedownError } from '../errors/index.js';
import { redact } from '../secrets/index.js';
import { Severity, type AttributePathMessage, type DiagnosticMessage } from './protocol/messages.js';

/** A diagnostic before it is put on the wire. */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly summary: string;
  readonly detail: string;
  /** Path from the top of the object: attribute names, then list indexes or map keys. */
  readonly path?: readonly (string | number)[];
}

export function errorDiagnostic(summary: string, detail: string, path?: readonly (string | number)[]): Diagnostic {
  return path === undefined ? { severity: 'error', summary, detail } : { severity: 'error', summary, detail, path };
}

export function warningDiagnostic(summary: string, detail: string, path?: readonly (string | number)[]): Diagnostic {
  return path === undefined ? { severity: 'warning', summary, detail } : { severity: 'warning', summary, detail, path };
}

/** True when any diagnostic is an error. */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/**
 * A diagnostic from a thrown error. ForcedownErrors give their message and hint; anything else
 * is reported as a provider bug. `summary` says what was being done.
 */
export function diagnosticFromError(summary: string, error: unknown, path?: readonly (string | number)[]): Diagnostic {
  if (isForcedownError(error)) {
    return errorDiagnostic(summary, `${error.message}\n\nWhat to do: ${error.hint} [${error.code}]`, path);
  }
  const message = error instanceof Error ? error.message : String(error);
  return errorDiagnostic(
    summary,
    `Unexpected error in the forcedown provider: ${message}\n\nWhat to do: this is a bug in forcedown; run with TF_LOG=debug and report the provider's log lines.`,
    path,
  );
}

/** The wire form (redacted). */
export function toDiagnosticMessage(diagnostic: Diagnostic): DiagnosticMessage {
  const base = {
    severity: diagnostic.severity === 'error' ? Severity.ERROR : Severity.WARNING,
    summary: redact(diagnostic.summary),
    detail: redact(diagnostic.detail),
  };
  if (diagnostic.path === undefined || diagnostic.path.length === 0) return base;
  // names are attribute steps, numbers list indexes (forcedown has no maps in its schemas)
  const attribute: AttributePathMessage = {
    steps: diagnostic.path.map((step) =>
      typeof step === 'number' ? { element_key_int: step } : { attribute_name: step },
    ),
  };
  return { ...base, attribute };
}
