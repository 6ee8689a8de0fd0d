/**
 * Turns the protocol model into grpc-js service definitions: one serializer/deserializer pair per
 * method, from forcedown's own proto3 codec (wire.ts). Field names stay as declared (snake_case).
 * The model is generated at build time from the proto text (scripts/gen-protocol.ts ->
 * src/generated/protocol.model.ts), so start-up only indexes a table: nothing is parsed.
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { PROTOCOL_TABLE } from '../../generated/protocol.model.js';
import { decodeMessage, encodeMessage, modelFromTable, type ProtoModel } from './wire.js';

let cached: ProtoModel | undefined;

/** The protocol: both packages in one model (indexed once per process). */
export function loadProtocol(): ProtoModel {
  cached ??= modelFromTable(PROTOCOL_TABLE);
  return cached;
}

/** A grpc-js service definition for `fullName` (`tfplugin6.Provider`). */
export function serviceDefinition(model: ProtoModel, fullName: string): ServiceDefinition {
  const methods = model.services.get(fullName);
  if (methods === undefined) throw new Error(`unknown service ${fullName}`);
  const definition: Record<string, MethodDefinition<object, object>> = {};
  for (const method of methods) {
    definition[method.name] = {
      path: `/${fullName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (value) => encodeMessage(model, method.requestType, value as Record<string, unknown>),
      requestDeserialize: (bytes) => decodeMessage(model, method.requestType, bytes),
      responseSerialize: (value) => encodeMessage(model, method.responseType, value as Record<string, unknown>),
      responseDeserialize: (bytes) => decodeMessage(model, method.responseType, bytes),
      originalName: method.name,
    };
  }
  return definition;
}
