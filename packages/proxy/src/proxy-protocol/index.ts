export { type EncodeProxyV2Input, encodeProxyV2 } from "./encode-v2.js";
export { DEFAULT_MAX_HEADER_BYTES, type ParseProxyHeaderOptions, parseProxyHeader } from "./parse.js";
export { DEFAULT_HEADER_TIMEOUT_MS, type ReadProxyHeaderOptions, readProxyHeader } from "./read-header.js";
export { TrustedNetworkError, TrustedNetworks } from "./trusted-networks.js";
export {
  type ProxyEndpoint,
  type ProxyFamily,
  type ProxyHeader,
  ProxyProtocolError,
  type ProxyProtocolErrorCode,
} from "./types.js";
