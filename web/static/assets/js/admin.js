// admin.js — the admin side: the SLA policy of each whistle class, edited
// in place (PUT /admin/sla-policies/{class}) with its warning thresholds;
// the outside notification channels of org units and departments (secrets
// shown masked) and the departments' out-of-hours duty rosters.
import { get, put, post, request } from './api.js';
import { t, label, pickName } from './i18n.js';
import { h, form, field, select, badge, load, busy, errorBox, fmtTime } from './ui.js';

const ORDER = ['emergency', 'key', 'routine', 'coordination'];

export function slaView() {
  const body = h('div', { id: 'sla' });
  load(body, async () => {
    const res = await get('/admin/sla-policies');
    const rows = [...(res.items || [])].sort((a, b) => ORDER.indexOf(a.class) - ORDER.indexOf(b.class) || String(a.level).localeCompare(String(b.level)));
    if (!rows.length) return h('p', { class: 'empty' }, t('none'));
    return h('ul', { class: 'cards sla-cards' }, rows.map(policyCard));
  });
  return h('div', { class: 'page' }, h('h1', {}, t('admin_title')), h('p', { class: 'muted' }, t('admin_hint')), body);
}

function policyCard(p) {
  const card = h('li', { class: 'card', 'data-class': p.class, 'data-level': p.level || '' });
  const draw = (p) => {
    const saved = h('span', { class: 'saved', hidden: true }, '✓ ' + t('saved'));
    const f = form({ class: 'sla-form' }, [
      h('div', { class: 'row' },
        field(t('report_within'), h('input', { name: 'report_within', value: p.report_within, required: true, maxlength: 16, pattern: '[0-9hmsd.]+' })),
        field(t('handle_within'), h('input', { name: 'handle_within', value: p.handle_within, required: true, maxlength: 16, pattern: '[0-9hmsd.]+' }))),
      h('div', { class: 'row' },
        field(t('warn_yellow'), h('input', { name: 'warn_yellow', type: 'number', min: 0.01, max: 0.99, step: 0.01, value: p.warn_yellow || 0.5, required: true })),
        field(t('warn_red'), h('input', { name: 'warn_red', type: 'number', min: 0.01, max: 0.99, step: 0.01, value: p.warn_red || 0.75, required: true })),
        field(t('evaluate_within'), h('input', { name: 'evaluate_within', value: p.evaluate_within || '', maxlength: 16, pattern: '[0-9hmsd.]+' }))),
      h('p', { class: 'muted' }, `${t('default_satisfaction')} ${label('satisfaction', p.default_satisfaction) || '—'}`,
        p.updated_by ? [` · ${t('updated_by')} `, h('span', { translate: 'no' }, p.updated_by)] : null),
    ], t('save'), async (d) => {
      // A later error must not stand beside an earlier 已保存.
      card.querySelector('.saved').hidden = true;
      const body = { report_within: String(d.get('report_within')).trim(), handle_within: String(d.get('handle_within')).trim(),
        warn_yellow: Number(d.get('warn_yellow')), warn_red: Number(d.get('warn_red')),
        evaluate_within: String(d.get('evaluate_within') || '').trim() || undefined,
        // Not on the form: sent back as they are, so saving keeps them.
        max_extensions: p.max_extensions || 0, max_extension_days: p.max_extension_days || 0 };
      if (!(body.warn_yellow > 0 && body.warn_yellow < body.warn_red && body.warn_red < 1)) throw new Error(t('warn_order'));
      if (p.level) body.level = p.level;
      const updated = await put('/admin/sla-policies/' + encodeURIComponent(p.class), body);
      draw(updated);
      card.querySelector('.saved').hidden = false;
    }, [saved]);
    // A policy of no level holds for the whole city: ask first.
    if (!p.level) f.confirmText = t('confirm_sla_city', label('class', p.class));
    card.replaceChildren(
      h('div', { class: 'case-card-head' }, h('h3', {}, label('class', p.class)),
        h('div', { class: 'badges' }, h('span', { class: 'badge' }, p.level ? label('level', p.level) : t('all_levels')),
          badge('clock', p.working_time ? 'working' : 'wall', ''))),
      f);
  };
  draw(p);
  return card;
}

// ---- outside channels ----

const KINDS = ['wecom', 'dingtalk', 'feishu', 'email', 'sms', 'webhook'];
// The fields each kind of channel takes: settings shown, secrets never.
const FIELDS = {
  wecom: { secrets: ['url'] },
  dingtalk: { secrets: ['url', 'secret'] },
  feishu: { secrets: ['url', 'secret'] },
  webhook: { secrets: ['url', 'secret'] },
  sms: { settings: ['phones', 'body_template'], secrets: ['url', 'auth_header'] },
  email: { settings: ['smtp_host', 'smtp_port', 'username', 'from', 'to'], secrets: ['password'] },
};
const LISTS = ['phones', 'to'];
const LANGS = { zh: '中文', en: 'English' };

// owners loads the org units and departments a channel may belong to.
async function owners() {
  const [units, depts] = await Promise.all([get('/admin/org-units?page_size=200'), get('/departments')]);
  return { org_unit: new Map((units.items || []).map((u) => [u.id, u])), department: new Map((depts.items || []).map((d) => [d.id, d])) };
}

export function channelsView() {
  const body = h('div', { id: 'channels' });
  const reload = () => load(body, async () => {
    const [res, own] = await Promise.all([get('/admin/channels'), owners()]);
    const items = res.items || [];
    return [
      h('details', { class: 'card more', id: 'channel-new' }, h('summary', {}, '＋ ' + t('channel_new')), channelForm(own, null, reload)),
      items.length ? h('ul', { class: 'cards', id: 'channel-list' }, items.map((ch) => channelCard(ch, own, reload))) : h('p', { class: 'empty' }, t('none')),
    ];
  });
  reload();
  return h('div', { class: 'page' }, h('h1', {}, t('channels_title')), h('p', { class: 'muted' }, t('channels_hint')), body);
}

function ownerName(own, kind, id) {
  const o = own[kind]?.get(id);
  return `${t('owner_' + kind)} · ${o ? pickName(o) : id}`;
}

function channelCard(ch, own, reload) {
  const box = errorBox();
  const enabled = h('input', { type: 'checkbox', checked: ch.enabled, 'data-action': 'enabled' });
  enabled.addEventListener('change', () => busy(enabled, box, async () => {
    await request('PATCH', '/admin/channels/' + encodeURIComponent(ch.id), { enabled: enabled.checked });
    reload();
  }));
  const del = h('button', { class: 'btn btn-small btn-danger', type: 'button', 'data-action': 'delete' }, t('delete'));
  del.addEventListener('click', () => {
    if (!confirm(t('channel_delete_confirm', ch.name))) return;
    busy(del, box, async () => { await request('DELETE', '/admin/channels/' + encodeURIComponent(ch.id)); reload(); });
  });
  const secrets = Object.entries(ch.secrets || {});
  return h('li', { class: 'card channel' + (ch.failing ? ' is-late' : ''), 'data-id': ch.id, 'data-kind': ch.kind },
    h('div', { class: 'case-card-head' }, h('h3', {}, ch.name),
      h('div', { class: 'badges' }, h('span', { class: 'badge' }, label('channel', ch.kind)),
        ch.enabled ? null : h('span', { class: 'badge' }, t('disabled')), ch.failing ? h('span', { class: 'badge late' }, t('channel_failing')) : null)),
    h('p', { class: 'muted meta' }, ownerName(own, ch.owner_kind, ch.owner_id)),
    h('dl', { class: 'facts compact' },
      secrets.length ? [h('dt', {}, t('secrets')), h('dd', {}, secrets.map(([k, v]) => h('div', {}, h('code', {}, `${k}: ${v}`))))] : null,
      Object.entries(ch.settings || {}).filter(([, v]) => v !== '' && v !== 0 && !(Array.isArray(v) && !v.length))
        .map(([k, v]) => [h('dt', {}, t('setting.' + k)), h('dd', {}, Array.isArray(v) ? v.join(', ') : k === 'lang' ? LANGS[v] || v : String(v))]),
      [h('dt', {}, t('channel_sent')), h('dd', {}, String(ch.sent_total || 0), ch.last_success_at ? h('small', { class: 'muted' }, ' · ' + fmtTime(ch.last_success_at)) : null)],
      [h('dt', {}, t('channel_failures')), h('dd', { class: ch.failures ? 'late-text' : '' }, t('channel_failure_counts', ch.failures || 0, ch.failures_total || 0))],
      ch.last_error ? [h('dt', {}, t('last_error')), h('dd', { class: 'late-text' }, ch.last_error, ch.last_error_at ? h('small', { class: 'muted' }, ' · ' + fmtTime(ch.last_error_at)) : null)] : null),
    h('div', { class: 'form-actions' }, h('label', { class: 'check' }, enabled, t('enabled')), del), box,
    h('details', { class: 'more' }, h('summary', {}, t('edit')), channelForm(own, ch, reload)));
}

// channelForm creates a channel (ch null) or edits one: settings are sent
// whole, a secret only when typed (blank keeps the stored one).
function channelForm(own, ch, reload) {
  const kind = select('kind', KINDS.map((k) => [k, label('channel', k)]), ch?.kind || 'wecom', { disabled: !!ch });
  const ownerKind = select('owner_kind', [['department', t('owner_department')], ['org_unit', t('owner_org_unit')]], ch?.owner_kind || 'department', { disabled: !!ch });
  const ownerID = h('select', { name: 'owner_id', disabled: !!ch });
  const fillOwners = () => ownerID.replaceChildren(...[...own[ownerKind.value].values()].map((o) => h('option', { value: o.id, selected: o.id === ch?.owner_id }, `${pickName(o)} (${o.id})`)));
  ownerKind.addEventListener('change', fillOwners);
  fillOwners();
  const fields = h('div', { class: 'row' });
  const set = ch?.settings || {};
  const drawFields = () => {
    const f = FIELDS[kind.value];
    fields.replaceChildren(
      ...(f.settings || []).map((k) => field(t('setting.' + k), h('input', { name: 's.' + k, value: LISTS.includes(k) ? (set[k] || []).join(', ') : (set[k] ?? ''),
        type: k === 'smtp_port' ? 'number' : 'text', maxlength: 2000 }), LISTS.includes(k) ? t('comma_list') : null)),
      ...f.secrets.map((k) => field(t('secret.' + k), h('input', { name: 'x.' + k, type: 'password', autocomplete: 'off', maxlength: 2000, placeholder: ch?.secrets?.[k] || '' }),
        ch ? t('secret_keep') : null)));
  };
  kind.addEventListener('change', drawFields);
  drawFields();
  return form({ class: 'channel-form' + (ch ? ' edit' : ' new') }, [
    h('div', { class: 'row' }, field(t('channel_kind'), kind), field(t('owner_kind'), ownerKind), field(t('owner'), ownerID)),
    h('div', { class: 'row' }, field(t('name'), h('input', { name: 'name', required: true, maxlength: 128, value: ch?.name || '' })),
      field(t('channel_lang'), select('lang', Object.entries(LANGS), set.lang || 'zh'))),
    fields,
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'enabled', checked: ch ? ch.enabled : true }), t('enabled')),
  ], t('save'), async (d) => {
    const f = FIELDS[kind.value];
    const settings = { lang: String(d.get('lang')) };
    for (const k of f.settings || []) {
      const v = String(d.get('s.' + k) || '').trim();
      if (!v) continue;
      settings[k] = LISTS.includes(k) ? v.split(/[,，\s]+/).filter(Boolean) : k === 'smtp_port' ? Number(v) : v;
    }
    const secrets = {};
    for (const k of f.secrets) {
      const v = String(d.get('x.' + k) || '').trim();
      if (v) secrets[k] = v;
    }
    const body = { name: String(d.get('name')).trim(), enabled: d.get('enabled') === 'on', settings, secrets };
    if (ch) await request('PATCH', '/admin/channels/' + encodeURIComponent(ch.id), body);
    else await post('/admin/channels', { ...body, kind: kind.value, owner_kind: ownerKind.value, owner_id: ownerID.value });
    reload();
  });
}

// ---- duty rosters ----

const WEEKDAYS = [1, 2, 3, 4, 5, 6, 0];

export function dutyView(ctx) {
  const body = h('div', { id: 'duty' });
  const roster = h('div', { id: 'duty-roster' });
  load(body, async () => {
    const depts = [...(await get('/departments')).items || []];
    if (!depts.length) return h('p', { class: 'empty' }, t('none'));
    const pick = select('department', depts.map((d) => [d.id, `${pickName(d)} (${d.id})`]), ctx.params.get('department') || depts[0].id, { id: 'duty-department' });
    const show = () => {
      ctx.setParams({ department: pick.value });
      load(roster, async () => rosterForm(await get('/admin/departments/' + encodeURIComponent(pick.value) + '/duty-roster')));
    };
    pick.addEventListener('change', show);
    show();
    return [field(t('department'), pick), roster];
  });
  return h('div', { class: 'page' }, h('h1', {}, t('duty_title')), h('p', { class: 'muted' }, t('duty_hint')), body);
}

// rosterForm edits a department's weekly shifts and dated shifts (a date
// replaces the weekly table on its day) and saves them whole.
function rosterForm(r) {
  const weekly = h('tbody', { class: 'weekly' });
  const dates = h('tbody', { class: 'dates' });
  const row = (dated, sh = {}) => {
    const tr = h('tr', { class: 'shift' },
      h('td', {}, dated ? h('input', { name: 'date', type: 'date', value: sh.date || '', required: true })
        : select('weekday', WEEKDAYS.map((n) => [String(n), t('weekday.' + n)]), String(sh.weekday ?? 1))),
      h('td', {}, h('input', { name: 'from', type: 'time', value: sh.from || '18:00', required: true })),
      h('td', {}, h('input', { name: 'to', type: 'time', value: sh.to || '08:00', required: true })),
      h('td', {}, h('input', { name: 'name', value: sh.name || '', required: true, maxlength: 64 })),
      h('td', {}, h('input', { name: 'phone', type: 'tel', value: sh.phone || '', required: true, maxlength: 32 })),
      h('td', {}, h('button', { class: 'btn btn-small', type: 'button', onclick: () => tr.remove() }, '✕')));
    return tr;
  };
  weekly.append(...(r.weekly || []).map((sh) => row(false, sh)));
  dates.append(...(r.dates || []).map((sh) => row(true, sh)));
  const head = (first) => h('thead', {}, h('tr', {}, [first, t('duty_from'), t('duty_to'), t('duty_name'), t('duty_phone'), ''].map((x) => h('th', {}, x))));
  const saved = h('span', { class: 'saved', hidden: true }, '✓ ' + t('saved'));
  const read = (tbody, dated) => [...tbody.querySelectorAll('tr.shift')].map((tr) => {
    const v = (n) => tr.querySelector(`[name="${n}"]`).value.trim();
    const sh = { from: v('from'), to: v('to'), name: v('name'), phone: v('phone') };
    if (dated) sh.date = v('date');
    else sh.weekday = Number(v('weekday'));
    return sh;
  });
  return form({ class: 'duty-form', id: 'duty-form' }, [
    h('h2', {}, t('duty_weekly')),
    h('div', { class: 'table-wrap' }, h('table', {}, head(t('duty_weekday')), weekly)),
    h('button', { class: 'btn btn-small add-weekly', type: 'button', onclick: () => weekly.append(row(false)) }, '＋ ' + t('duty_add')),
    h('h2', {}, t('duty_dates')),
    h('div', { class: 'table-wrap' }, h('table', {}, head(t('duty_date')), dates)),
    h('button', { class: 'btn btn-small add-dated', type: 'button', onclick: () => dates.append(row(true)) }, '＋ ' + t('duty_add')),
  ], t('save'), async () => {
    saved.hidden = true;
    await put('/admin/departments/' + encodeURIComponent(r.department_id) + '/duty-roster', { weekly: read(weekly, false), dates: read(dates, true) });
    saved.hidden = false;
  }, [saved]);
}
