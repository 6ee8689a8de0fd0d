#!/usr/bin/env node
// The forcedown Terraform provider (plugin protocol 6). Terraform starts it; it is not run by hand.
// A dedicated entry rather than `forcedown provider serve`: it loads only the provider's modules,
// which keeps exec-to-handshake short (Terraform starts a provider process several times per apply).
import module from 'node:module';

// cache compiled code between the many short-lived provider processes (Node >= 22.1)
module.enableCompileCache?.();
const { serve } = await import('../dist/provider/serve.js');
process.exitCode = await serve();
