/**
 * Answering a call with twinline's own media: a short tone to the caller (the
 * confirmation beeps after a feature code), then a BYE. The caller's RTP goes to a relay
 * session; the tone is played from it in the codec the caller offered (PCMU or PCMA).
 */
import { confirmationTone, createToneSource, describeSdp, type RtpRelay, type Tone } from '../media/index.js';
import type { InboundLeg } from './inbound-leg.js';

/** An SDP answer for one audio stream at `address:port` in one G.711 codec (RFC 3264 §6.1). */
export function toneAnswerSdp(
  address: string,
  port: number,
  payloadType: number,
  codec: 'PCMU' | 'PCMA',
): string {
  const ip = address.includes(':') ? 'IP6' : 'IP4';
  const id = Date.now();
  return [
    'v=0',
    `o=twinline ${id} ${id} IN ${ip} ${address}`,
    's=twinline',
    `c=IN ${ip} ${address}`,
    't=0 0',
    `m=audio ${port} RTP/AVP ${payloadType}`,
    `a=rtpmap:${payloadType} ${codec}/8000`,
    'a=sendonly',
    '',
  ].join('\r\n');
}

export type ToneAnswerResult = 'played' | 'no-codec';

/**
 * Answers `caller` and plays `tone` (default: the confirmation beeps), then hangs up.
 * Refuses with 488 when the caller offered neither PCMU nor PCMA.
 */
export async function answerWithTone(
  relay: RtpRelay,
  caller: InboundLeg,
  tone: Tone = confirmationTone(),
): Promise<ToneAnswerResult> {
  const offer = describeSdp(caller.invite.body.toString('utf8'));
  const codec = offer?.pcmu !== undefined ? 'PCMU' : offer?.pcma !== undefined ? 'PCMA' : undefined;
  if (!offer || !codec) {
    // RFC 3264 §6: no common codec; RFC 3261 §21.4.26: 488 Not Acceptable Here.
    caller.reject(488);
    return 'no-codec';
  }
  const payloadType = codec === 'PCMU' ? offer.pcmu! : offer.pcma!;
  const session = await relay.createSession({ id: caller.invite.headers.get('call-id') });
  session.setRemote('a', { address: offer.address, port: offer.port });
  const local = session.local('a');
  caller.answer(
    Buffer.from(toneAnswerSdp(local.address, local.rtpPort, payloadType, codec)),
    'application/sdp',
  );
  session.play('a', createToneSource(tone, { codec, payloadType }), {
    holdOther: false,
    onEnd: () => {
      caller.hangUp();
      void session.close();
    },
  });
  return 'played';
}
