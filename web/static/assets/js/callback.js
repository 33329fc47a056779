// callback.js — the resident call-back (回访, issue 17). On a case from a
// resident or the 12345 hotline the satisfaction is the resident's: once the
// case is verified, the filing side calls them back and records each
// attempt here (method, time, reached or not, their satisfaction). The
// evaluations then take the resident's answer; the evaluator types none.
import { post } from './api.js';
import { t, label } from './i18n.js';
import { h, form, field, select, section, badge, fmtTime } from './ui.js';

const METHODS = ['phone', 'sms', 'visit', 'online'];
const SATISFACTION = ['satisfied', 'basically_satisfied', 'dissatisfied'];
// MAX_ATTEMPTS mirrors whistle.CallbackMaxAttempts: the third unanswered
// attempt settles the call-back as not reached.
const MAX_ATTEMPTS = 3;

// callbackBadge marks a case whose call-back is pending (the list and the
// case page), or one settled without the resident's answer.
export function callbackBadge(c) {
  if (!c.callback || c.callback === 'reached') return null;
  return badge('callback', c.callback);
}

// callbackPending: the evaluation waits for the call-back.
export function callbackPending(c) {
  return Boolean(c.callback_required) && (c.callback === 'pending' || !c.callback);
}

// localInput is a datetime-local value for now.
function localNow() {
  const d = new Date();
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
}

// callbackForm records one attempt. "Reached" asks for the resident's
// satisfaction; "not reached" hides it.
export function callbackForm(path, c, redraw) {
  const n = (c.callbacks || []).length + 1;
  const sat = field(t('cb_resident_satisfaction'), select('satisfaction', [['', t('pick_satisfaction')], ...SATISFACTION.map((s) => [s, label('satisfaction', s)])], '', { id: 'callback-satisfaction' }));
  const reached = select('reached', [['true', t('cb_reached_yes')], ['false', t('cb_reached_no')]], 'true', { id: 'callback-reached' });
  const sync = () => {
    const yes = reached.value === 'true';
    sat.hidden = !yes;
    sat.querySelector('select').required = yes;
  };
  reached.addEventListener('change', sync);
  // Left at its minute-precision default, the time is not sent: the server
  // takes now (a call-back in the verification's own minute would
  // otherwise read as before it).
  const defaultAt = localNow();
  const f = form({ class: 'subcard', id: 'callback-form' }, [
    h('h3', {}, t('cb_title')),
    h('p', { class: 'notice' }, t('cb_notice', n, MAX_ATTEMPTS)),
    h('div', { class: 'row' },
      field(t('cb_method'), select('method', METHODS.map((m) => [m, label('cb_method', m)]), 'phone', { id: 'callback-method' })),
      field(t('cb_at'), h('input', { type: 'datetime-local', name: 'at', id: 'callback-at', value: defaultAt, required: true })),
      field(t('cb_reached'), reached)),
    sat,
    field(t('cb_note'), h('textarea', { name: 'note', rows: 2, maxlength: 500 })),
  ], t('cb_submit'), async (d) => {
    const yes = d.get('reached') === 'true';
    const rawAt = String(d.get('at') || '');
    const at = rawAt && rawAt !== defaultAt ? new Date(rawAt).toISOString() : undefined;
    redraw(await post(path + '/callback', {
      method: d.get('method'), at, reached: yes, satisfaction: yes ? d.get('satisfaction') : undefined, note: String(d.get('note')).trim(),
    }));
  });
  sync();
  return f;
}

// callbackSection lists the attempts on the case page.
export function callbackSection(c) {
  if (!c.callback_required) return null;
  const items = (c.callbacks || []).map((a) => h('li', { 'data-n': a.n, 'data-reached': String(a.reached) },
    h('b', {}, t('cb_attempt', a.n)), ' · ', label('cb_method', a.method), ' · ', fmtTime(a.at), ' · ',
    a.reached ? [t('cb_reached_yes'), ' · ', label('satisfaction', a.satisfaction)] : t('cb_reached_no'),
    h('small', { class: 'muted' }, ` — ${a.by}`),
    a.note ? h('div', { class: 'muted' }, a.note) : null));
  return section(t('cb_section'), h('p', { id: 'callback-state', 'data-callback': c.callback || '' },
    c.callback ? badge('callback', c.callback) : t('cb_after_verify')),
  items.length ? h('ol', { class: 'plain', id: 'callbacks' }, items) : null);
}

// callbackDetail renders a call-back entry's detail: "phone reached
// satisfied: note", "sms unreached 2/3", or the settled state.
export function callbackDetail(e) {
  const d = String(e.detail || '');
  if (e.type === 'callback_settled') return label('callback', d);
  const m = d.match(/^(\w+) (reached|unreached) ?(\S*)(?:: ([\s\S]*))?$/);
  if (!m) return d;
  const how = m[2] === 'reached' ? [t('cb_reached_yes'), ' · ', label('satisfaction', m[3])] : [t('cb_reached_no'), ` (${m[3]})`];
  return [label('cb_method', m[1]), ' · ', ...how, m[4] ? t('colon') + m[4] : ''];
}
