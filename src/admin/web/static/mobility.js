/**
 * The user's Mobility tab, laid out as the User › Mobility form administrators know:
 * Internal Twinning, Simultaneous clients, Mobility Features. Ranges and defaults come
 * from the API's schema; read-only and locked fields from the user's effective view
 * (CFG-2 unlicensed, a twin destination's pairing, MS Teams data filled in by the system,
 * UR-1 locks).
 */
import { api, entryPath } from './api.js';
import { h, notice } from './dom.js';
import {
  clearApiErrors,
  errorList,
  fieldRow,
  hintFor,
  inputFor,
  readControl,
  showApiErrors,
} from './forms.js';

/** [field, label, kind]: kinds are check, number, text, select, handset, profile, pin. */
const INTERNAL = [
  ['internalTwinning', 'Internal Twinning', 'check'],
  ['twinnedHandset', 'Twinned Handset', 'handset'],
  ['maxTwinnedCalls', 'Maximum Number of Calls', 'select'],
  ['twinBridgeAppearances', 'Twin Bridge Appearances', 'check'],
  ['twinCoverageAppearances', 'Twin Coverage Appearances', 'check'],
  ['twinLineAppearances', 'Twin Line Appearances', 'check'],
];
const CLIENTS = [
  ['msTeamsCoverageDelay', 'MS Teams Coverage Delay (secs)', 'number'],
  ['msTeamsUri', 'MS Teams URI', 'text'],
];
const FEATURES = [
  ['mobileTwinning', 'Mobile Twinning', 'check'],
  ['twinnedMobileNumber', 'Twinned Mobile Number (including dial access code)', 'text'],
  ['twinningTimeProfile', 'Twinning Time Profile', 'profile'],
  ['mobileDialDelay', 'Mobile Dial Delay (secs)', 'number'],
  ['mobileAnswerGuard', 'Mobile Answer Guard (secs)', 'number'],
  ['huntGroupCallsEligible', 'Hunt group calls eligible for mobile twinning', 'check'],
  ['forwardedCallsEligible', 'Forwarded calls eligible for mobile twinning', 'check'],
  ['twinWhenLoggedOut', 'Twin When Logged Out', 'check'],
  ['oneXMobileClient', 'one-X Mobile Client', 'check'],
  ['mobileCallControl', 'Mobile Call Control', 'check'],
  ['mobileCallback', 'Mobile Callback', 'check'],
  ['fallbackTwinning', 'Fallback Twinning', 'check'],
  ['mobileAnswerConfirm', 'Mobile Answer Confirm', 'select'],
  ['mobileAnswerConfirmTimeout', 'Mobile Answer Confirm Timeout (secs)', 'number'],
  ['mobileFeaturePin', 'Mobile Feature PIN', 'pin'],
];

const show = (v) => (v === undefined || v === null || v === '' ? '(none)' : String(v));

/**
 * Twinned-handset candidates: users other than `me`, not already someone else's twin,
 * not themselves primaries with a handset (IT-1, one-to-one).
 */
export function handsetChoices(users, me) {
  const takenBy = new Map();
  for (const u of users) if (u.mobility?.twinnedHandset) takenBy.set(u.mobility.twinnedHandset, u.extension);
  return users.filter(
    (u) =>
      u.extension !== me &&
      (takenBy.get(u.extension) === undefined || takenBy.get(u.extension) === me) &&
      !u.mobility?.twinnedHandset,
  );
}

/**
 * Renders the tab into `root`. `data`: { user, users, index, effective, profiles, system,
 * schema (the mobility input schema) }; `reload()` fetches it again after a save.
 */
export function mobilityTab(root, data, reload, saved) {
  const { user, users, index, effective, profiles, system, schema } = data;
  const props = schema.properties ?? {};
  const own = user.mobility ?? {};
  const controls = new Map();
  const byName = new Map(users.map((u) => [u.extension, u]));

  const unlicensed = effective.licensed === false;
  const reasonUnlicensed = effective.readOnly?.['mobility.internalTwinning']?.message;
  const twinOf = effective.twinOf;

  /** Why a field cannot be changed here, or undefined. */
  const readOnlyWhy = (f) => effective.readOnly?.[`mobility.${f}`];
  const lockOf = (f) => effective.locked?.[`mobility.${f}`];

  function control(f, kind) {
    const sch = props[f] ?? {};
    const value = own[f];
    switch (kind) {
      case 'check':
        return h('input', { type: 'checkbox', checked: value === true });
      case 'handset': {
        const choices = handsetChoices(users, user.extension);
        if (value && !choices.some((u) => u.extension === value)) {
          const u = byName.get(value);
          if (u) choices.unshift(u);
        }
        return h(
          'select',
          {},
          h('option', { value: '' }, '<None>'),
          choices.map((u) =>
            h('option', { value: u.extension, selected: u.extension === value }, `${u.extension} ${u.name}`),
          ),
        );
      }
      case 'profile':
        return h(
          'select',
          {},
          h('option', { value: '' }, '<None> (always)'),
          profiles.map((p) => h('option', { value: p.name, selected: p.name === value }, p.name)),
        );
      case 'select':
        return inputFor(sch, value);
      case 'pin':
        return h('input', {
          type: 'password',
          inputmode: 'numeric',
          autocomplete: 'new-password',
          placeholder: 'unchanged',
          maxlength: 16,
        });
      default:
        return inputFor(sch, value);
    }
  }

  function row(f, label, kind) {
    const sch = props[f] ?? {};
    const c = control(f, kind);
    const extras = [];
    let hint = kind === 'number' || kind === 'text' ? hintFor(sch) : '';
    const lock = lockOf(f);
    const ro = readOnlyWhy(f);
    if (kind === 'pin') hint = 'leave blank to keep; 4–16 digits, asked after mobile dial tone';
    if (f === 'oneXMobileClient') {
      c.disabled = true;
      extras.push(h('span', { class: 'badge na' }, 'not supported'));
      hint = 'legacy setting: accepted for compatibility, has no effect';
    }
    if (f === 'twinnedHandset' && twinOf) {
      c.disabled = true;
      const primary = byName.get(twinOf);
      extras.push(
        h(
          'span',
          { class: 'readonly-why' },
          `This user is the twinned handset of ${twinOf}${primary ? ` ${primary.name}` : ''}`,
        ),
      );
    } else if (ro && !unlicensed) {
      if (c.tagName === 'SELECT' || c.type === 'checkbox') c.disabled = true;
      else c.readOnly = true;
      extras.push(h('span', { class: 'readonly-why' }, ro.message));
    }
    if (lock) {
      c.disabled = true;
      const inForce = effective.effective?.mobility?.[f];
      if (c.type === 'checkbox') c.checked = inForce === true;
      else c.value = inForce === undefined || inForce === null ? '' : String(inForce);
      extras.push(
        h(
          'span',
          { class: 'lock', title: `Locked by user rights ${lock.userRights}` },
          `🔒 locked by user rights “${lock.userRights}”: in force ${show(inForce)} (own value ${show(own[f])})`,
        ),
      );
    }
    if (unlicensed) c.disabled = true;
    controls.set(f, { control: c, schema: sch, kind, fixed: c.disabled || c.readOnly });
    return fieldRow({
      path: `mobility.${f}`,
      label,
      control: c,
      hint,
      schema: kind === 'number' || kind === 'text' || kind === 'pin' ? pinOr(sch, kind) : undefined,
      extra: extras,
    });
  }

  const master = row('mobilityFeatures', 'Mobility Features', 'check');
  const masterControl = controls.get('mobilityFeatures').control;
  const featureRows = FEATURES.map(([f, l, k]) => row(f, l, k));
  const featureBox = h('div', { class: 'indent' }, featureRows);

  const notEntitled = !unlicensed && effective.mobilityEntitled === false;
  const entitlement = notEntitled
    ? h(
        'p',
        { class: 'readonly-why' },
        `Licence “${effective.licence}” does not carry the mobility entitlement (system mobility licence levels: ${(system.mobilityLicenceLevels ?? []).join(', ')}); Mobility Features cannot be switched on.`,
      )
    : null;
  if (notEntitled && !masterControl.checked) masterControl.disabled = true;

  /** Fields under the master switch are inert while it is off: greyed out. */
  function syncMaster() {
    const on = masterControl.checked;
    featureBox.classList.toggle('inert', !on);
    for (const [f] of FEATURES) {
      const c = controls.get(f);
      if (!c.fixed) c.control.disabled = !on;
    }
  }
  masterControl.addEventListener('change', syncMaster);
  syncMaster();

  const status = h('div', { class: 'status-slot' });
  const form = h(
    'form',
    {
      class: `mobility${unlicensed ? ' unlicensed' : ''}`,
      novalidate: true,
      'aria-label': 'Mobility settings',
    },
    unlicensed
      ? h(
          'div',
          { class: 'banner readonly', role: 'note' },
          h('strong', {}, 'Read-only: '),
          reasonUnlicensed ?? `user ${user.extension} is unlicensed`,
          '. Every Mobility setting is greyed out and treated as off (CFG-2). Give the user a licence on the User tab to change them.',
        )
      : null,
    h(
      'fieldset',
      { class: 'group' },
      h('legend', {}, 'Internal Twinning'),
      INTERNAL.map(([f, l, k]) => row(f, l, k)),
    ),
    h(
      'fieldset',
      { class: 'group' },
      h('legend', {}, 'Simultaneous clients'),
      CLIENTS.map(([f, l, k]) => row(f, l, k)),
    ),
    h('fieldset', { class: 'group' }, h('legend', {}, 'Mobility Features'), master, entitlement, featureBox),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', disabled: unlicensed }, 'Save'),
      h('button', { type: 'button', onclick: () => reload() }, 'Revert'),
    ),
    status,
  );
  if (saved) status.append(savedNotice());

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearApiErrors(form);
    status.replaceChildren();
    const mobility = {};
    for (const [f, c] of controls) {
      if (c.fixed || f === 'oneXMobileClient') continue;
      let v = readControl(c.control, c.schema);
      if (c.kind === 'pin') {
        if (v === undefined) continue;
      } else if (c.kind === 'handset' || c.kind === 'profile') v = v ?? null;
      else if (v === undefined) v = c.kind === 'number' ? '' : '';
      mobility[f] = v;
    }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await api('PATCH', entryPath('users', user.extension), { mobility });
      await reload(true);
    } catch (e) {
      button.disabled = false;
      if (e.fields?.length) {
        const rest = showApiErrors(form, e.fields, `users[${index}].`);
        status.append(
          notice(
            'error',
            `Not saved: the API refused ${e.fields.length} field${e.fields.length > 1 ? 's' : ''}; nothing was stored.`,
            rest.length ? errorList(rest) : null,
          ),
        );
      } else status.append(notice('error', `Not saved: ${e.message} (${e.code ?? 'error'})`));
    }
  });

  root.replaceChildren(
    h(
      'p',
      { class: 'summary' },
      `In force now: twinning mode ${effective.twinningMode}`,
      effective.userRights ? ` · user rights “${effective.userRights}”` : '',
      ` · ${effective.workingHours ? 'working hours' : 'out of hours'}`,
      own.twinningTimeProfile
        ? ` · twinning time profile ${effective.twinningProfileActive ? 'active' : 'inactive'}`
        : '',
      system.autoPopulateMsTeamsData ? ' · MS Teams data filled in automatically' : '',
    ),
    form,
  );
}

function pinOr(schema, kind) {
  if (kind !== 'pin') return schema;
  return { type: 'string', pattern: '^[0-9]{4,16}$', 'x-allowed': '4–16 digits' };
}

export function savedNotice() {
  return notice(
    'ok',
    h('strong', {}, 'Saved. '),
    'Mergeable: the change applies at once, to the next call — no restart needed. Calls in progress keep the plan they started with.',
  );
}
