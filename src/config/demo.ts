/**
 * A small, valid directory to try twinline with: mobile twinning, internal twinning,
 * MS Teams, a hunt group, working-hours rights, SIP peers on 127.0.0.1.
 */
import { ConfigValidationError } from './errors.js';
import type { Directory, DirectoryInput } from './schema.js';
import { validateDirectory } from './validate.js';

/** The demo directory's input form (what examples/directory.yaml holds, minus the passwords). */
export function demoDirectoryInput(randomPassword: () => string): DirectoryInput {
  return {
    system: {
      timeZone: 'Europe/London',
      domain: 'twinline',
      realm: 'twinline',
      defaultNoAnswerTime: 15,
      outsideLinePrefix: '9',
      voicemailUri: 'sip:voicemail@127.0.0.1:5072',
      sendOriginalPartyInfo: true,
    },
    users: [
      {
        extension: '201',
        name: 'Alice',
        password: randomPassword(),
        licence: 'mobile-worker',
        workingHoursTimeProfile: 'Working hours',
        workingHoursUserRights: 'Office',
        outOfHoursUserRights: 'Out of hours',
        mobility: {
          mobilityFeatures: true,
          mobileTwinning: true,
          twinnedMobileNumber: '907700900123',
          mobileDialDelay: 2,
          mobileAnswerGuard: 3,
          huntGroupCallsEligible: true,
          fallbackTwinning: true,
          mobileCallControl: true,
          mobileCallback: true,
        },
        twinningMode: 'mobile',
      },
      {
        extension: '202',
        name: 'Bob',
        password: randomPassword(),
        licence: 'power-user',
        mobility: { internalTwinning: true, twinnedHandset: '203', maxTwinnedCalls: 2 },
        twinningMode: 'internal',
      },
      { extension: '203', name: 'Bob DECT', password: randomPassword(), licence: 'basic' },
      {
        extension: '204',
        name: 'Carol',
        password: randomPassword(),
        licence: 'uc-user',
        mobility: { msTeamsUri: '441632960204', msTeamsCoverageDelay: 2 },
        appearances: { coverage: ['201'] },
      },
      {
        extension: '205',
        name: 'Dave',
        password: randomPassword(),
        licence: 'basic',
        forwardOnNoAnswer: { enabled: true, destination: '204' },
        appearances: { lines: ['1'] },
      },
    ],
    huntGroups: [{ name: 'Sales', extension: '300', members: ['201', '204'], ringMode: 'collective' }],
    timeProfiles: [
      {
        name: 'Working hours',
        entries: [
          { kind: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:30' },
        ],
      },
    ],
    userRights: [
      { name: 'Office', locked: {} },
      { name: 'Out of hours', locked: { 'mobility.mobileDialDelay': 0 } },
    ],
    trunks: [
      {
        name: 'carrier',
        kind: 'carrier',
        host: '127.0.0.1',
        port: 5070,
        transport: 'udp',
        ownNumber: '441632960000',
        lineId: '1',
      },
      { name: 'teams', kind: 'msTeams', host: '127.0.0.1', port: 5071, transport: 'udp' },
    ],
    incomingRoutes: [
      { trunk: 'carrier', ddi: '441632960201', destination: '201' },
      { trunk: 'carrier', ddi: '441632960204', destination: '204' },
      { trunk: 'carrier', ddi: '441632960300', destination: 'Sales' },
      { trunk: 'carrier', ddi: '441632960031', destination: 'fne31' },
      { trunk: 'carrier', ddi: '441632960032', destination: 'fne32' },
      { trunk: 'carrier', ddi: '441632960033', destination: 'fne33' },
      { trunk: 'carrier', ddi: '', destination: '300' },
    ],
    shortCodes: [
      { code: '*08', feature: 'dndOn' },
      { code: '*09', feature: 'dndOff' },
      { code: '*07*N#', feature: 'forwardSet', forwardType: 'unconditional' },
      { code: '*01', feature: 'forwardClear', forwardType: 'all' },
      { code: '*35*N#', feature: 'login' },
      { code: '*36', feature: 'logout' },
      { code: '*9*N#', feature: 'setMobileTwinningNumber' },
      { code: '*90', feature: 'mobileTwinningOn' },
      { code: '*91', feature: 'mobileTwinningOff' },
      { code: '*92', feature: 'mobileTwinningToggle' },
      { code: '*93', feature: 'twinnedCallPickup' },
      { code: '*94', feature: 'twinningHandover' },
      { code: '*95', feature: 'twinningModeInternal' },
      { code: '*96', feature: 'twinningModeMobile' },
      { code: '*17', feature: 'voicemail' },
    ],
  };
}

/** The demo directory, validated; `randomPassword` supplies each user's SIP password. */
export function demoDirectory(randomPassword: () => string): Directory {
  const r = validateDirectory(demoDirectoryInput(randomPassword));
  if (!r.ok) throw new ConfigValidationError(r.errors, r.warnings);
  return r.directory;
}
