// intake.js — the acceptance queue (受理) of a command centre or a
// secretary: the pending cases of their unit, oldest first, each with its
// acceptance clock, and the three ways out: accept and whistle the
// departments, reject with a reason (不予受理), merge into another case
// (并案). Every action posts, shows the API's message on a refusal, and
// reloads the queue on success. A command centre may accept by
// dispatching the case down (派单) instead of whistling departments.
import { get, post, query } from './api.js';
import { t, label, pickName } from './i18n.js';
import { h, form, field, badge, clock, fmtTime, pager, load, linkify, randomKey } from './ui.js';

// ACCEPTERS are the roles the policy lets accept (case:accept); the API
// still decides per case.
export const ACCEPTERS = ['commander', 'street_secretary', 'community_secretary'];

// DISPATCHERS may accept a case by dispatching it down (派单) instead.
const DISPATCHERS = ['commander', 'street_secretary'];

// changed tells the shell to recount the menu's badge.
function changed() { window.dispatchEvent(new Event('intake-changed')); }

// pendingCount is the number of cases waiting in the caller's queue.
export async function pendingCount() {
  const list = await get('/intake' + query({ page_size: 1 }));
  return list.total || 0;
}

export function intakeView(ctx) {
  const state = { overdue: ctx.params.get('overdue') === 'true', q: ctx.params.get('q') || '', page: Number(ctx.params.get('page')) || 1 };
  const results = h('div', { id: 'intake' });
  const reload = () => {
    ctx.setParams({ overdue: state.overdue, q: state.q, page: state.page > 1 ? state.page : '' });
    changed();
    load(results, async () => {
      const list = await get('/intake' + query({ overdue: state.overdue, q: state.q, page: state.page, page_size: 20 }));
      if (!list.items.length) return h('p', { class: 'empty' }, t('intake_empty'));
      return [h('ul', { class: 'cards' }, list.items.map((c) => intakeCard(c, reload, ctx.me.role))), pager(list, (n) => { state.page = n; reload(); })];
    });
  };
  const filters = h('form', { class: 'filters', id: 'intake-filters' },
    field(t('filter_q'), h('input', { name: 'q', type: 'search', value: state.q, placeholder: t('intake_q_ph') })),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'overdue', checked: state.overdue }), t('only_accept_overdue')),
    h('button', { class: 'btn', type: 'submit' }, t('filter')));
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    const d = new FormData(filters);
    Object.assign(state, { q: String(d.get('q')).trim(), overdue: d.get('overdue') === 'on', page: 1 });
    reload();
  });
  filters.addEventListener('change', (e) => { if (e.target.type === 'checkbox') filters.requestSubmit(); });
  const refresh = h('button', { class: 'btn', type: 'button', id: 'intake-refresh', onclick: reload }, '↻ ' + t('refresh'));
  // New cases arrive from the hotline and residents: refresh now and then,
  // but never under a form being filled.
  const timer = setInterval(() => { if (!results.querySelector('.intake-panel form')) reload(); }, 60000);
  ctx.onLeave(() => clearInterval(timer));
  reload();
  return h('div', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', {}, t('intake_title')), refresh),
    h('p', { class: 'muted' }, t('intake_lead')),
    filters, results);
}

function intakeCard(c, reload, role) {
  const late = c.accept_overdue;
  const loc = c.location || {};
  return h('li', { class: 'card intake-card' + (late ? ' is-late' : ''), 'data-case-id': c.id, 'data-number': c.number || '' },
    h('div', { class: 'case-card-head' },
      h('h3', {}, h('a', { href: '/app/cases/' + encodeURIComponent(c.id) }, c.title)),
      h('div', { class: 'badges' }, badge('case_status', c.status), badge('class', c.class), c.source ? badge('source', c.source) : null,
        late ? h('span', { class: 'badge late' }, t('accept_overdue')) : null)),
    h('p', { class: 'muted meta' }, [c.number || c.id, fmtTime(c.created_at), c.category, loc.address, c.filed_by].filter(Boolean).join(' · ')),
    c.description ? h('p', { class: 'description' }, linkify(c.description)) : null,
    h('dl', { class: 'facts compact' },
      h('dt', {}, t('accept_deadline')),
      h('dd', { class: 'accept-clock' }, clock(c.accept_deadline, { overdue: late }))),
    intakeActions(c, reload, role));
}

// intakeActions: three buttons, each opening its form under them (a second
// click on the same button closes it).
function intakeActions(c, reload, role) {
  const path = '/cases/' + encodeURIComponent(c.id);
  const panel = h('div', { class: 'intake-panel' });
  const open = (kind, make) => () => {
    const same = panel.firstChild && panel.firstChild.dataset.kind === kind;
    panel.replaceChildren(...(same ? [] : [make()]));
    panel.querySelector('input:not([type=checkbox]):not([type=radio]), textarea')?.focus();
  };
  const done = () => { reload(); };
  return h('div', { class: 'task-actions' },
    h('div', { class: 'form-actions' },
      h('button', { class: 'btn btn-primary', type: 'button', 'data-action': 'accept', onclick: open('accept', () => acceptForm(c, path, done, role)) }, t('accept')),
      h('button', { class: 'btn btn-danger', type: 'button', 'data-action': 'reject', onclick: open('reject', () => rejectForm(path, done)) }, t('reject')),
      h('button', { class: 'btn', type: 'button', 'data-action': 'merge', onclick: open('merge', () => mergeForm(c, path, done)) }, t('merge'))),
    panel);
}

// acceptForm accepts and whistles departments, or, for a command centre,
// accepts and dispatches the case to a unit below (派单) instead.
function acceptForm(c, path, done, role) {
  const key = randomKey();
  const list = h('div', { class: 'checks accept-departments' });
  load(list, async () => {
    const r = await get('/departments' + query({ whistleable: true, case_id: c.id }));
    const depts = r.items || [];
    if (!depts.length) return h('p', { class: 'muted' }, t('no_departments'));
    return depts.map((d) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'department_ids', value: d.id }), pickName(d)));
  });
  const byDepartments = h('fieldset', { class: 'field accept-by-departments' }, h('legend', { class: 'field-label' }, t('departments')), list, h('small', { class: 'hint' }, t('accept_hint')));
  const dispatching = DISPATCHERS.includes(role);
  const byDispatch = dispatching ? h('div', { class: 'accept-by-dispatch', hidden: true }, field(t('dispatch_to'), unitSelect({ class: 'accept-dispatch-to' }), t('dispatch_hint'))) : null;
  const mode = (m) => h('label', { class: 'check' }, h('input', { type: 'radio', name: 'mode', value: m, checked: m === 'departments' }), t('accept_by_' + m));
  const modes = dispatching ? h('div', { class: 'row accept-mode' }, mode('departments'), mode('dispatch')) : null;
  const title = h('h3', {}, t('accept_title'));
  const f = form({ class: 'subcard accept-form', 'data-kind': 'accept' }, [title, modes, byDepartments, byDispatch],
    t('accept_submit'), async (d) => {
      if (d.get('mode') === 'dispatch') {
        const to = String(d.get('to') || '');
        if (!to) throw new Error(t('dispatch_pick'));
        await post(path + '/accept', { dispatch_to: to }, { 'Idempotency-Key': key });
      } else {
        const ids = d.getAll('department_ids');
        if (!ids.length) throw new Error(t('pick_department'));
        await post(path + '/accept', { department_ids: ids }, { 'Idempotency-Key': key });
      }
      done();
    });
  const submit = f.querySelector('button[type=submit]');
  modes?.addEventListener('change', () => {
    const dispatch = f.querySelector('input[name=mode]:checked')?.value === 'dispatch';
    byDepartments.hidden = dispatch;
    byDispatch.hidden = !dispatch;
    submit.textContent = title.textContent = dispatch ? t('accept_dispatch_submit') : t('accept_submit');
  });
  return f;
}

function rejectForm(path, done) {
  const key = randomKey();
  return form({ class: 'subcard reject-form', 'data-kind': 'reject' }, [
    h('h3', {}, t('reject_title')),
    field(t('reject_reason'), h('textarea', { name: 'reason', rows: 2, required: true, maxlength: 2000, placeholder: t('reject_reason_ph') })),
  ], t('reject_submit'), async (d) => {
    const reason = String(d.get('reason')).trim();
    if (!reason) throw new Error(t('reject_reason_needed'));
    await post(path + '/reject', { reason }, { 'Idempotency-Key': key });
    done();
  });
}

// mergeForm offers the open cases of the same category near the pending
// one (by its point, or its address when it has none), and a free field for
// any other case, by id or by the number read out over the phone.
function mergeForm(c, path, done) {
  const key = randomKey();
  const loc = c.location || {};
  const hasPoint = Number.isFinite(loc.lat) && Number.isFinite(loc.lon) && !(loc.lat === 0 && loc.lon === 0);
  const choices = h('div', { class: 'merge-choices' });
  load(choices, async () => {
    const q = hasPoint ? { lat: loc.lat, lon: loc.lon } : { address: loc.address };
    const r = await get('/cases/nearby' + query({ ...q, category: c.category, exclude: c.id, limit: 10 }));
    const items = r.items || [];
    if (!items.length) return h('p', { class: 'muted' }, t('merge_none_nearby'));
    return h('ul', { class: 'plain nearby-list' }, items.map((n) => h('li', {},
      h('label', { class: 'check' }, h('input', { type: 'radio', name: 'into_choice', value: n.id }),
        h('span', {}, nearbyLine(n))),
      ' ', h('a', { href: '/app/cases/' + encodeURIComponent(n.id), target: '_blank', rel: 'noopener' }, t('view_case')))));
  });
  const other = h('input', { name: 'into_other', maxlength: 40, placeholder: '20261202-00123', autocomplete: 'off' });
  return form({ class: 'subcard merge-form', 'data-kind': 'merge' }, [
    h('h3', {}, t('merge_title')),
    h('fieldset', { class: 'field' }, h('legend', { class: 'field-label' }, t('merge_nearby')), choices),
    field(t('merge_other'), other, t('merge_other_hint')),
  ], t('merge_submit'), async (d) => {
    let into = String(d.get('into_other') || '').trim() || String(d.get('into_choice') || '');
    if (!into) throw new Error(t('merge_pick'));
    // The API merges by id; a number is looked up first (GET /cases/{number}).
    if (/^\d{8}-\d+$/.test(into)) into = (await get('/cases/' + encodeURIComponent(into))).id;
    await post(path + '/merge', { into }, { 'Idempotency-Key': key });
    done();
  });
}

// unitSelect is a <select name="to"> of the units below the caller's
// (GET /org-units), indented by depth: where a command centre may dispatch
// a case. A failure to load shows the API's message under it.
export function unitSelect(attrs = {}) {
  const sel = h('select', { name: 'to', ...attrs }, h('option', { value: '' }, t('loading')));
  const err = h('small', { class: 'hint error-text', hidden: true });
  get('/org-units').then((r) => {
    const units = r.items || [];
    const top = Math.min(...units.map((u) => u.depth));
    sel.replaceChildren(h('option', { value: '' }, units.length ? t('dispatch_pick') : t('no_units_below')),
      ...units.map((u) => h('option', { value: u.id, 'data-level': u.level }, '\u3000'.repeat(Math.max(0, u.depth - top)) + `${pickName(u)}（${label('level', u.level)}）`)));
  }, (e) => {
    sel.replaceChildren(h('option', { value: '' }, '—'));
    err.textContent = e.message;
    err.hidden = false;
  });
  return [sel, err];
}

// nearbyLine is one nearby case as a hint shows it.
export function nearbyLine(n) {
  return [n.number || n.id, n.title, label('case_status', n.status), n.location?.address,
    n.distance_m !== undefined ? t('distance_m', Math.round(n.distance_m)) : ''].filter(Boolean).join(' · ');
}
