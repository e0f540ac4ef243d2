/**
 * Mobile Call Control (MCC-1, MCC-2) on a call answered on the mobile twin leg. The leg's
 * RTP runs through the relay (side a: the other party, side b: the mobile). twinline
 * listens to the mobile's RFC 4733 digits, which are not passed on (MCC-2):
 *
 *  - `**` within 1 s puts the other party on hold and gives the mobile dial tone; the user
 *    dials as at their own extension, ending with `#` or a pause (MCC-1).
 *  - The dialled call (a consultation) is bridged to the mobile on the relay's side a;
 *    the held party hears nothing meanwhile.
 *  - `**` during the consultation, or the consulted party hanging up, ends it and brings
 *    the held party back. Dialling nothing (or a number that routes nowhere) returns too.
 *  - The mobile hanging up while the consultation is connected transfers the held party
 *    to the consulted party (the call goes on without the user: {@link takeConsultation}).
 *
 * ```
 *  talking ──**──▶ dialling ──digits──▶ consulting ──** / far end hangs up──▶ talking
 *     ▲               └──nothing / unroutable──────────────────────────────────┘
 *                                          └──mobile hangs up (answered)──▶ closed, transferred
 * ```
 */
import {
  createDigitCollector,
  createToneSource,
  type DialToneSetting,
  type DigitCollector,
  type DtmfEvent,
  dialTone,
  type RelaySession,
  type RemoteMedia,
} from '../media/index.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { OutboundLeg } from './outbound-leg.js';

export type CallControlState = 'talking' | 'dialling' | 'consulting' | 'closed';

const MOVES: Readonly<Record<CallControlState, readonly CallControlState[]>> = {
  talking: ['dialling', 'closed'],
  dialling: ['talking', 'consulting', 'closed'],
  consulting: ['talking', 'closed'],
  closed: [],
};

/** A consultation call placed for the user; ends on its own or by `hangUp()`. */
export interface Consultation {
  hangUp(): void;
  /** The consulted party's branch once it answered. */
  answered(): OutboundLeg | undefined;
}

export interface CallControlOptions {
  session: RelaySession;
  clock: Clock;
  logger: Logger;
  /** The mobile's media format (from its SDP). */
  codec: 'PCMU' | 'PCMA';
  payloadType: number;
  telephoneEventPayloadType: number;
  /** The dial tone the mobile hears after `**` (system.dialTone). */
  dialTone: DialToneSetting;
  /** The held party's media address (side a while talking). */
  heldParty: RemoteMedia;
  /**
   * Places the call the user dialled, offering the relay's side a; `connected` gives the
   * consulted party's media address, `ended` says it is over. Undefined when the digits
   * route nowhere.
   */
  dial(
    digits: string,
    events: { connected(media: RemoteMedia): void; ended(): void },
  ): Consultation | undefined;
}

export class MobileCallControl {
  private state: CallControlState = 'talking';
  private readonly collector: DigitCollector;
  private readonly dtmf: { stop(): void };
  private tone: { stop(): void } | undefined;
  private consultation: Consultation | undefined;

  constructor(private readonly o: CallControlOptions) {
    this.collector = createDigitCollector({
      clock: o.clock,
      onTrigger: () => this.onTrigger(),
      onDigit: () => this.stopTone(),
      onComplete: ({ digits }) => this.onDialled(digits),
    });
    // MCC-2: the mobile's digits are heard by twinline only.
    this.dtmf = o.session.detectDtmf('b', {
      payloadType: o.telephoneEventPayloadType,
      suppress: true,
      onDigit: (e) => this.collector.push(e),
    });
  }

  get current(): CallControlState {
    return this.state;
  }

  /** MCC-2: a digit the mobile sent by SIP INFO instead of RFC 4733 (the INFO is not passed on). */
  pushDigit(event: DtmfEvent): void {
    if (this.state !== 'closed') this.collector.push(event);
  }

  close(): void {
    if (this.state === 'closed') return;
    this.move('closed');
    this.stopTone();
    this.dtmf.stop();
    this.collector.close();
    this.consultation?.hangUp();
  }

  /**
   * MCC-1 transfer: the mobile hung up during a connected consultation; detection stops
   * and the consulted party's branch is handed to the caller (not hung up). Undefined when
   * no consultation is connected.
   */
  takeConsultation(): OutboundLeg | undefined {
    const answered = this.state === 'consulting' ? this.consultation?.answered() : undefined;
    if (!answered) return undefined;
    this.consultation = undefined;
    this.close();
    return answered;
  }

  private onTrigger(): void {
    if (this.state === 'consulting') {
      // `**` again: end the consultation, back to the held party.
      this.consultation?.hangUp();
      this.backToHeld();
      return;
    }
    if (this.state !== 'talking') return;
    this.move('dialling');
    this.o.logger.info('mobile call control: dial tone');
    // MCC-1: the other party is held (hears nothing), the mobile gets dial tone.
    this.o.session.setForwarding('a', false);
    this.o.session.setForwarding('b', false);
    this.tone = this.o.session.play(
      'b',
      createToneSource(dialTone(this.o.dialTone), { codec: this.o.codec, payloadType: this.o.payloadType }),
      {
        holdOther: true,
      },
    );
  }

  private onDialled(digits: string): void {
    this.stopTone();
    if (this.state !== 'dialling') return;
    const consultation = digits
      ? this.o.dial(digits, {
          connected: (media) => {
            if (this.state !== 'consulting') return;
            this.o.session.setRemote('a', media);
            this.o.session.setForwarding('a', true);
            this.o.session.setForwarding('b', true);
          },
          ended: () => {
            if (this.state === 'consulting') this.backToHeld();
          },
        })
      : undefined;
    if (!consultation) {
      this.o.logger.info({ digits }, 'mobile call control: nothing dialled, back to the held party');
      this.backToHeld();
      return;
    }
    this.consultation = consultation;
    this.move('consulting');
    this.collector.reset();
  }

  private backToHeld(): void {
    if (this.state === 'closed') return;
    this.consultation = undefined;
    this.o.session.setRemote('a', this.o.heldParty);
    this.o.session.setForwarding('a', true);
    this.o.session.setForwarding('b', true);
    this.move('talking');
    this.collector.reset();
  }

  private stopTone(): void {
    this.tone?.stop();
    this.tone = undefined;
  }

  private move(to: CallControlState): void {
    if (this.state === to) return;
    if (!MOVES[this.state].includes(to)) throw new Error(`mobile call control: ${this.state} -> ${to}`);
    this.state = to;
  }
}
