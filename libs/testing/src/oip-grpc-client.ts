import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { OipDatatype, TensorPayload } from '@falaj/contracts';
import { OIP_GRPC_LOADER_OPTIONS, OIP_GRPC_PROTO_PATH, type GrpcModelInferRequest, type GrpcModelInferResponse } from '@falaj/oip';

type Callback = (error: grpc.ServiceError | null, response: unknown) => void;
type Method = (request: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback) => void;

/**
 * A small client of `inference.GRPCInferenceService`, as `tritonclient.grpc` speaks it: the
 * bearer token in the `authorization` metadata, tensors in `raw_input_contents`.
 */
export class OipGrpcClient {
  private readonly client: grpc.Client & Record<string, Method>;

  /**
   * `target`: FalajSuite's grpcTarget (its address and TLS credentials), or any address with the
   * credentials to reach it. Plaintext is never a default: it is asked for by name (`plaintext`).
   */
  constructor(
    target: { address: string; credentials: grpc.ChannelCredentials },
    private readonly token?: string,
    options: grpc.ChannelOptions = {},
  ) {
    const { address, credentials } = target;
    const definition = protoLoader.loadSync(OIP_GRPC_PROTO_PATH, OIP_GRPC_LOADER_OPTIONS);
    const loaded = grpc.loadPackageDefinition(definition) as unknown as { inference: { GRPCInferenceService: grpc.ServiceClientConstructor } };
    this.client = new loaded.inference.GRPCInferenceService(address, credentials, {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      ...options,
    }) as unknown as grpc.Client & Record<string, Method>;
  }

  /** Calls one method; rejects with the grpc.ServiceError (its `code` is the gRPC status). */
  async call<T = Record<string, unknown>>(method: string, request: unknown = {}, token = this.token, extra: Record<string, string> = {}): Promise<T> {
    return (await this.callWithMetadata<T>(method, request, token, extra)).response;
  }

  /** Calls one method and keeps the server's response metadata (its initial metadata) too. */
  callWithMetadata<T = Record<string, unknown>>(
    method: string,
    request: unknown = {},
    token = this.token,
    extra: Record<string, string> = {},
  ): Promise<{ response: T; metadata: Record<string, string> }> {
    const metadata = new grpc.Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
    const received: Record<string, string> = {};
    return new Promise((resolve, reject) => {
      const call = this.client[method].call(this.client, request, metadata, { deadline: Date.now() + 60_000 }, (error, response) =>
        error ? reject(error) : resolve({ response: response as T, metadata: received }),
      ) as unknown as grpc.ClientUnaryCall;
      call.on('metadata', (md: grpc.Metadata) => {
        for (const [key, value] of Object.entries(md.getMap())) received[key] = String(value);
      });
    });
  }

  /** ModelInfer with every input raw; the outputs come back as payloads. */
  async infer(args: {
    model: string;
    version?: string;
    id?: string;
    inputs: TensorPayload[];
    outputs?: string[];
    /** Extra call metadata, e.g. `x-routing-key`. */
    metadata?: Record<string, string>;
  }): Promise<{ response: GrpcModelInferResponse; outputs: TensorPayload[]; metadata: Record<string, string> }> {
    const request: GrpcModelInferRequest = {
      model_name: args.model,
      model_version: args.version ?? '',
      id: args.id ?? '',
      inputs: args.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(String) })),
      outputs: (args.outputs ?? []).map((name) => ({ name })),
      raw_input_contents: args.inputs.map((t) => t.data),
    };
    const { response, metadata } = await this.callWithMetadata<GrpcModelInferResponse>('ModelInfer', request, this.token, args.metadata);
    const outputs = response.outputs.map((o, i) => ({
      name: o.name,
      datatype: o.datatype as OipDatatype,
      shape: o.shape.map(Number),
      data: response.raw_output_contents[i] ?? Buffer.alloc(0),
    }));
    return { response, outputs, metadata };
  }

  /** A client without TLS, for the tests that show a TLS listener refuses one. */
  static plaintext(address: string, token?: string): OipGrpcClient {
    return new OipGrpcClient({ address, credentials: grpc.credentials.createInsecure() }, token);
  }

  close(): void {
    this.client.close();
  }
}
