/**
 * The media layer's public face: RTP packets, G.711, tones, DTMF detection and collection,
 * the RTP relay and SDP anchoring. It knows nothing of users or calls.
 */
export {
  type CollectEndReason,
  type CollectorState,
  type CollectResult,
  createDigitCollector,
  type DigitCollector,
  type DigitCollectorOptions,
} from './collector.js';
export {
  createDtmfDetector,
  type DtmfDetector,
  type DtmfDetectorOptions,
  type DtmfDigit,
  type DtmfEndReason,
  type DtmfEvent,
  digitOfEvent,
  eventOfDigit,
  isDtmfDigit,
  parseDtmfInfo,
  parseTelephoneEvent,
  serializeTelephoneEvent,
  type TelephoneEventPayload,
} from './dtmf.js';
export { MediaError, PortsExhaustedError, RelayClosedError, SdpError } from './errors.js';
export {
  alawToLinear,
  codecOfPayloadType,
  decodeG711,
  encodeG711,
  type G711Codec,
  linearToAlaw,
  linearToUlaw,
  STATIC_PAYLOAD_TYPE,
  ulawToLinear,
} from './g711.js';
export { goertzel, goertzelPower, presentFrequencies, signalPower } from './goertzel.js';
export {
  createRtpRelay,
  type DirectionStats,
  type DtmfTap,
  type DtmfTapOptions,
  type LocalMedia,
  type MediaEndpoint,
  otherSide,
  type PacketTap,
  type PlayHandle,
  type PlayOptions,
  type RelayOptions,
  type RelaySession,
  type RelaySessionOptions,
  type RelaySessionStats,
  type RemoteMedia,
  type RtpRelay,
  type Side,
  type SideStats,
} from './relay.js';
export {
  isRtcp,
  parseRtp,
  type RtpHeaderExtension,
  type RtpPacket,
  type RtpPacketInit,
  rtcpPacketType,
  seqNewer,
  serializeRtp,
  timestampNewer,
} from './rtp.js';
export { type AnchorOptions, anchorSdp, describeSdp, type MediaDirection, type SdpAudio } from './sdp.js';
export {
  confirmationTone,
  createToneSource,
  type DialToneSetting,
  dialTone,
  PACKET_MS,
  promptTone,
  renderTone,
  SAMPLE_RATE,
  SAMPLES_PER_PACKET,
  type Tone,
  type ToneSource,
  type ToneSourceOptions,
  type ToneStep,
} from './tones.js';
