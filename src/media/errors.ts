/** Media-layer failures, each with a stable `code` (callers branch on the class or code, never the message). */

export class MediaError extends Error {
  readonly code: string = 'MEDIA_ERROR';
}

/** Every even/odd pair in the configured range is taken or cannot be bound. */
export class PortsExhaustedError extends MediaError {
  override readonly code = 'MEDIA_PORTS_EXHAUSTED';
  constructor(
    readonly portMin: number,
    readonly portMax: number,
  ) {
    super(`no free RTP port pair in ${portMin}–${portMax}`);
    this.name = 'PortsExhaustedError';
  }
}

/** A session was requested from a relay that has been closed. */
export class RelayClosedError extends MediaError {
  override readonly code = 'MEDIA_RELAY_CLOSED';
  constructor() {
    super('the RTP relay is closed');
    this.name = 'RelayClosedError';
  }
}

/** An SDP body that cannot be anchored (no audio stream, unparseable). */
export class SdpError extends MediaError {
  override readonly code = 'MEDIA_BAD_SDP';
  constructor(message: string) {
    super(message);
    this.name = 'SdpError';
  }
}
