/**
 * Turns the protobuf definitions into grpc-js service definitions: one serializer/deserializer
 * pair per method, from forcedown's own proto3 codec (wire.ts). Field names stay as declared
 * (snake_case).
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { GO_PLUGIN_PROTO, TFPLUGIN6_PROTO } from './definitions.js';
import { decodeMessage, encodeMessage, parseProto, type ProtoModel } from './wire.js';

let cached: ProtoModel | undefined;

/** The parsed protocol: both packages in one model (parsed once per process). */
export function loadProtocol(): ProtoModel {
  cached ??= parseProto(TFPLUGIN6_PROTO, GO_PLUGIN_PROTO);
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
