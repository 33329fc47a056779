// leaders.js — the views leaders use (issue 17): recurring problems (未诉先办)
// with the one-action coordinated filing, statistics by category and
// source per month, the frequent problems of each street or grid, and the
// case ledger (台账) export.
import { get, post, query, download } from './api.js';
import { t, label, pickName } from './i18n.js';
import { h, field, select, section, fmtTime, load, busy, errorBox, form, randomKey } from './ui.js';

// LEADER_ROLES see this page (the policy's supervision:read; the filing
// also needs case:file, which supervisors lack).
export const LEADER_ROLES = ['commander', 'street_secretary', 'supervisor', 'admin'];
const FILING_ROLES = ['commander', 'street_secretary'];

export function leadersView(ctx) {
  const tabs = [['recurring', t('ld_recurring')], ['stats', t('ld_stats')], ['top', t('ld_top')], ['ledger', t('ld_ledger')]];
  let tab = ctx.params.get('tab') || 'recurring';
  const body = h('div', { id: 'leaders-body' });
  const bar = h('div', { class: 'tabs', role: 'tablist' });
  const show = (name) => {
    tab = name;
    ctx.setParams({ tab: name === 'recurring' ? '' : name });
    bar.replaceChildren(...tabs.map(([k, text]) => h('button', {
      class: 'tab' + (k === tab ? ' active' : ''), type: 'button', role: 'tab', 'aria-selected': String(k === tab), 'data-tab': k, onclick: () => show(k),
    }, text)));
    if (name === 'stats') body.replaceChildren(statsPanel());
    else if (name === 'top') body.replaceChildren(topPanel());
    else if (name === 'ledger') body.replaceChildren(ledgerPanel());
    else body.replaceChildren(recurringPanel(ctx));
  };
  show(tabs.some(([k]) => k === tab) ? tab : 'recurring');
  return h('div', { class: 'page' }, h('div', { class: 'page-head' }, h('h1', {}, t('ld_title'))), bar, body);
}

function exportButtons(route, params, name) {
  const box = errorBox();
  const btn = (fmt, text) => {
    const b = h('button', { class: 'btn btn-small', type: 'button', 'data-export': fmt }, text);
    b.addEventListener('click', () => busy(b, box, () => download(route + query({ ...params(), format: fmt }), name + '.' + fmt)));
    return b;
  };
  return h('div', { class: 'exports' }, h('span', { class: 'muted' }, t('exports') + t('colon')), btn('csv', t('export_csv')), btn('xlsx', t('export_xlsx')), box);
}

function table(head, rows) {
  return h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, head.map((x) => h('th', {}, x)))), h('tbody', {}, rows)));
}

// ---- recurring problems ----

function recurringPanel(ctx) {
  const state = { n: ctx.params.get('n') || '3', weeks: ctx.params.get('weeks') || '4' };
  const list = h('div', { id: 'recurring-list' });
  const reload = () => load(list, async () => {
    const res = await get('/supervision/recurring' + query(state));
    if (!res.streets?.length) return h('p', { class: 'empty' }, t('ld_no_recurring'));
    return res.streets.map((st) => section(`${st.street_name || st.street_id}（${t('ld_problems', st.total)}）`,
      st.problems.map((p) => problemCard(ctx, p, state))));
  });
  const n = h('input', { type: 'number', min: 2, max: 50, value: state.n, name: 'n' });
  const weeks = h('input', { type: 'number', min: 1, max: 52, value: state.weeks, name: 'weeks' });
  const go = h('button', { class: 'btn', type: 'button' }, t('filter'));
  go.addEventListener('click', () => { state.n = n.value; state.weeks = weeks.value; ctx.setParams({ n: state.n, weeks: state.weeks }); reload(); });
  reload();
  return h('div', {}, h('p', { class: 'muted' }, t('ld_recurring_lead')),
    h('div', { class: 'filters' }, field(t('ld_n'), n), field(t('ld_weeks'), weeks), go),
    exportButtons('/supervision/recurring', () => state, 'recurring'), list);
}

function problemCard(ctx, p, state) {
  const place = p.place_name || p.grid_id || p.community_id;
  const cases = table([t('case_no'), t('title'), t('status'), t('ld_filed_at')], p.cases.map((c) => h('tr', {},
    h('td', {}, h('a', { href: '/app/cases/' + encodeURIComponent(c.id) }, c.number || c.id)),
    h('td', {}, c.title), h('td', {}, label('case_status', c.status)), h('td', {}, fmtTime(c.created_at)))));
  const card = h('div', { class: 'card recurring', 'data-category': p.category },
    h('h3', {}, `${place} · ${p.category} · ${t('ld_times', p.count)}`), cases);
  if (FILING_ROLES.includes(ctx.me?.role)) card.append(fileForm(p, state));
  return card;
}

// fileForm files the problem as one coordinated case: the departments to
// whistle (those the caller may summon), an optional title.
function fileForm(p, state) {
  const depts = h('select', { name: 'departments', multiple: true, required: true, size: 4 });
  get('/departments?whistleable=true').then((r) => depts.replaceChildren(...(r.items || []).map((d) => h('option', { value: d.id }, pickName(d))))).catch(() => {});
  const done = h('p', { class: 'notice', hidden: true });
  const f = form({ class: 'inline-form' }, [field(t('ld_file_departments'), depts), field(t('ld_file_title'), h('input', { name: 'title', maxlength: 200 }))],
    t('ld_file'), async (data) => {
      const body = { category: p.category, case_ids: p.cases.map((c) => c.id), departments: data.getAll('departments'),
        title: data.get('title') || undefined, n: Number(state.n), weeks: Number(state.weeks) };
      if (p.grid_id) body.grid_id = p.grid_id; else body.community_id = p.community_id;
      const kase = await post('/supervision/recurring/file', body, { 'Idempotency-Key': randomKey() });
      done.replaceChildren(t('ld_filed'), ' ', h('a', { href: '/app/cases/' + encodeURIComponent(kase.id) }, kase.number || kase.id));
      done.hidden = false;
    });
  return h('details', {}, h('summary', {}, t('ld_file')), f, done);
}

// ---- statistics ----

function monthInputs() {
  const now = new Date();
  const ym = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
  const from = h('input', { type: 'month', value: ym(new Date(now.getFullYear(), now.getMonth() - 11, 1)) });
  const to = h('input', { type: 'month', value: ym(now) });
  // [from month's first day, the day after to month's last day), China time.
  const params = () => {
    const [y, m] = to.value.split('-').map(Number);
    const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
    return { from: from.value ? from.value + '-01' : '', to: to.value ? next + '-01' : '' };
  };
  return { from, to, params };
}

function statsPanel() {
  const m = monthInputs();
  const out = h('div', { id: 'stats-out' });
  const reload = () => load(out, async () => {
    const res = await get('/stats/categories' + query(m.params()));
    const grid = (rows, name) => {
      const keys = [...new Set(rows.map((r) => r.key))];
      const cell = (month, key) => rows.find((r) => r.month === month && r.key === key)?.count || 0;
      return table([name, ...res.months, t('ld_total')], keys.map((k) => h('tr', {},
        h('td', {}, name === t('source') ? label('source', k) : (k || t('ld_uncategorized'))),
        res.months.map((mo) => h('td', { class: 'num' }, String(cell(mo, k)))),
        h('td', { class: 'num' }, String(rows.filter((r) => r.key === k).reduce((a, r) => a + r.count, 0)))))); 
    };
    return [h('p', {}, t('ld_stats_total', res.total)), section(t('ld_by_category'), grid(res.categories, t('ld_category'))), section(t('ld_by_source'), grid(res.sources, t('source')))];
  });
  const go = h('button', { class: 'btn', type: 'button', onclick: reload }, t('filter'));
  reload();
  return h('div', {}, h('div', { class: 'filters' }, field(t('from'), m.from), field(t('to'), m.to), go),
    exportButtons('/stats/categories', m.params, 'category-stats'), out);
}

function topPanel() {
  const m = monthInputs();
  const by = select('by', [['street', t('ld_by_street')], ['grid', t('ld_by_grid')]], 'street');
  const out = h('div', { id: 'top-out' });
  const params = () => ({ ...m.params(), by: by.value, limit: 5 });
  const reload = () => load(out, async () => {
    const res = await get('/stats/top' + query(params()));
    if (!res.items.length) return h('p', { class: 'empty' }, t('none'));
    return table([t('ld_area'), t('ld_total'), t('ld_top_categories')], res.items.map((a) => h('tr', {},
      h('td', {}, pickName(a) || a.id), h('td', { class: 'num' }, String(a.total)),
      h('td', {}, a.categories.map((c) => `${c.category || t('ld_uncategorized')} ${c.count}`).join('、')))));
  });
  const go = h('button', { class: 'btn', type: 'button', onclick: reload }, t('filter'));
  reload();
  return h('div', {}, h('div', { class: 'filters' }, field(t('ld_group'), by), field(t('from'), m.from), field(t('to'), m.to), go),
    exportButtons('/stats/top', params, 'top'), out);
}

// ---- the ledger ----

function ledgerPanel() {
  const from = h('input', { type: 'date', name: 'from' });
  const to = h('input', { type: 'date', name: 'to' });
  const status = select('status', [['', t('all')], ...['pending', 'open', 'verifying', 'evaluating', 'closed'].map((s) => [s, label('case_status', s)])], '');
  const overdue = select('overdue', [['', t('all')], ['true', t('yes')], ['false', t('no')]], '');
  const q = h('input', { type: 'search', name: 'q', maxlength: 100, placeholder: t('q_ph') });
  const params = () => ({ from: from.value, to: to.value, status: status.value, overdue: overdue.value, q: q.value });
  return section(t('ld_ledger'), h('p', { class: 'muted' }, t('ld_ledger_lead')),
    h('div', { class: 'filters' }, field(t('from'), from), field(t('to'), to), field(t('filter_status'), status), field(t('filter_overdue'), overdue), field(t('filter_q'), q)),
    exportButtons('/cases/export', params, 'ledger'));
}
