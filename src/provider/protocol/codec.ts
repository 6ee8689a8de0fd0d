/**
 * Turns the protobuf definitions into grpc-js service definitions: one serializer/deserializer
 * pair per method, built from protobufjs types. Field names stay as declared (snake_case).
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { GO_PLUGIN_PROTO, TFPLUGIN6_PROTO } from './definitions.js';

const CONVERSION: protobuf.IConversionOptions = {
  longs: Number,
  enums: Number,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: false,
};

/** The parsed protocol: both packages in one root. */
export function loadProtocolRoot(): protobuf.Root {
  const root = new protobuf.Root();
  protobuf.parse(TFPLUGIN6_PROTO, root, { keepCase: true });
  protobuf.parse(GO_PLUGIN_PROTO, root, { keepCase: true });
  root.resolveAll();
  return root;
}

function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    const message = type.fromObject(value as Record<string, unknown>);
    const bytes = type.encode(message).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(type: protobuf.Type): (bytes: Buffer) => object {
  return (bytes) => {
    // bytes fields stay Buffers (Uint8Arrays); absent sub-messages become null (defaults: true)
    return type.toObject(type.decode(bytes), CONVERSION);
  };
}

/** A grpc-js service definition for `fullName` (`tfplugin6.Provider`) from the root. */
export function serviceDefinition(root: protobuf.Root, fullName: string): ServiceDefinition {
  const service = root.lookupService(fullName);
  const definition: Record<string, MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const requestType = method.resolvedRequestType;
    const responseType = method.resolvedResponseType;
    if (requestType === null || responseType === null) throw new Error(`unresolved types of ${fullName}/${method.name}`);
    definition[method.name] = {
      path: `/${fullName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: serializer(requestType),
      requestDeserialize: deserializer(requestType),
      responseSerialize: serializer(responseType),
      responseDeserialize: deserializer(responseType),
      originalName: method.name,
    };
  }
  return definition as ServiceDefinition;
}
