export { philox4x32, mulhi32, splitUint53 } from './rng/philox';
export { philoxWgsl } from './rng/philox.wgsl';
export {
  MC_BINDINGS,
  MC_WORKGROUP_SIZE,
  type AnyEstimator,
  type EstimatorDefinition,
  type GpuPlan,
  type GpuDispatch,
} from './kinds/estimator';
export {
  ESTIMATORS,
  estimatorFor,
  isEstimatorName,
  montecarloSpecSchema,
  type EstimatorName,
  type MontecarloSpec,
} from './kinds/registry';
export { ERROR_CODES, TesseraError, toErrorBody, type ErrorBody, type ErrorCode } from './errors';
export {
  DEFAULT_REDUNDANCY,
  FINAL_STATUSES,
  WORKLOAD_STATUSES,
  redundancySchema,
  submitWorkloadSchema,
  type Redundancy,
  type SubmitWorkload,
  type WorkloadProgress,
  type WorkloadStatus,
  type WorkloadView,
} from './workloadSpec';
export {
  BACKENDS,
  PROTOCOL_VERSION,
  VOLUNTEER_NAMESPACE,
  deviceInfoSchema,
  handshakeAuthSchema,
  helloSchema,
  replicaRefSchema,
  unitErrorSchema,
  unitRequestSchema,
  unitResultSchema,
  type Ack,
  type Backend,
  type ClientToServerEvents,
  type DeviceInfo,
  type Hello,
  type HelloReply,
  type Lease,
  type ResultReply,
  type ServerToClientEvents,
  type UnitRequestReply,
  type VolunteerSummary,
} from './protocol/volunteerProtocol';
