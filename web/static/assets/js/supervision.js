// supervision.js — the supervisor side: SLA breaches and escalations
// (refreshed every 30 s), the rates over time with an inline SVG chart,
// the annual assessment ranking, CSV / Excel exports of each, and the
// 挂账 list (cases closed as unresolvable, reviewed monthly), and the
// follow-up views (issue 14): tasks due soon, supervision orders (督办) and
// urges (催办) per department.
import { get, query, download, departmentNames } from './api.js';
import { t, label, pickName } from './i18n.js';
import { h, field, select, section, fmtTime, clock, badge, pager, load, busy, errorBox } from './ui.js';
import { warningBadge } from './followup.js';

const REFRESH_MS = 30000;

export function supervisionView(ctx) {
  const tabs = [
    ['breaches', t('sup_breaches')], ['escalations', t('sup_escalations')],
    ['due_soon', t('sup_due_soon')], ['orders', t('sup_orders')], ['urges', t('sup_urges')],
    ['rates', t('sup_rates')], ['assessments', t('sup_assessments')], ['unresolvable', t('sup_unresolvable')],
  ];
  let tab = ctx.params.get('tab') || 'breaches';
  const body = h('div', { id: 'supervision-body' });
  const bar = h('div', { class: 'tabs', role: 'tablist' });
  let stop = () => {};
  const show = (name) => {
    tab = name;
    ctx.setParams({ tab: name === 'breaches' ? '' : name });
    bar.replaceChildren(...tabs.map(([k, text]) => h('button', {
      class: 'tab' + (k === tab ? ' active' : ''), type: 'button', role: 'tab', 'aria-selected': String(k === tab), 'data-tab': k, onclick: () => show(k),
    }, text)));
    stop();
    stop = () => {};
    if (name === 'breaches' || name === 'escalations') stop = liveList(body, name);
    else if (name === 'rates') body.replaceChildren(ratesPanel());
    else if (name === 'unresolvable') body.replaceChildren(unresolvablePanel());
    else if (name === 'due_soon') body.replaceChildren(dueSoonPanel(ctx));
    else if (name === 'orders') body.replaceChildren(ordersPanel(ctx));
    else if (name === 'urges') body.replaceChildren(urgesPanel());
    else body.replaceChildren(assessmentPanel());
  };
  ctx.onLeave(() => stop());
  show(tabs.some(([k]) => k === tab) ? tab : 'breaches');
  return h('div', { class: 'page' }, h('div', { class: 'page-head' }, h('h1', {}, t('sup_title'))), bar, body);
}

// exports are buttons that fetch the route with format=csv|xlsx (with the
// token) and save the file; the href shows the route it calls.
function exportsBar(route, params) {
  const box = errorBox();
  const link = (fmt, text) => {
    const href = '/api/v1' + route + query({ ...params(), format: fmt });
    const a = h('a', { class: 'btn btn-small', href, 'data-export': fmt }, text);
    a.addEventListener('click', (e) => {
      e.preventDefault();
      const name = route.split('/').pop() + '.' + fmt;
      busy(a, box, () => download(route + query({ ...params(), format: fmt }), name));
    });
    return a;
  };
  return h('div', { class: 'exports' }, h('span', { class: 'muted' }, t('exports') + t('colon')), link('csv', t('export_csv')), link('xlsx', t('export_xlsx')), box);
}

// liveList shows breaches or escalations and reloads them every 30 s.
function liveList(body, kind) {
  const route = '/supervision/' + kind;
  let page = 1;
  const list = h('div', { id: kind + '-list' });
  const stamp = h('small', { class: 'muted' });
  const reload = (quiet) => {
    const run = async () => {
      const [res, names] = await Promise.all([get(route + query({ page, page_size: 20 })), departmentNames().catch(() => new Map())]);
      stamp.textContent = `${t('auto_refresh')} · ${t('updated_at', fmtTime(new Date().toISOString()))}`;
      if (!res.items?.length) return h('p', { class: 'empty' }, t('none'));
      const table = kind === 'breaches' ? breachTable(res.items, names) : escalationTable(res.items, names);
      return [table, pager(res, (n) => { page = n; reload(); })];
    };
    if (!quiet) return load(list, run);
    // A background refresh keeps the old rows until the new ones arrive.
    return run().then((nodes) => list.replaceChildren(...[nodes].flat()), () => load(list, run));
  };
  body.replaceChildren(section(null,
    h('div', { class: 'page-head' }, h('h2', {}, t(kind === 'breaches' ? 'sup_breaches' : 'sup_escalations')),
      h('button', { class: 'btn', type: 'button', onclick: () => reload() }, '↻ ' + t('refresh'))),
    stamp, exportsBar(route, () => ({})), list));
  reload();
  const timer = setInterval(() => reload(true), REFRESH_MS);
  return () => clearInterval(timer);
}

// caseCell links a row's case by its title (rows carry case_title), id under it.
function caseCell(r) {
  return h('td', {}, h('a', { href: '/app/cases/' + encodeURIComponent(r.case_id) }, r.case_title || r.case_id),
    r.case_title ? h('div', {}, h('small', { class: 'muted' }, r.case_id)) : null);
}

function deptLabel(names, id, fallback) {
  const d = names.get(id);
  return d ? pickName(d) : (fallback || id || '—');
}

// table draws a table; a heading given as ['text', 'num'] is right-aligned
// like its numbers.
function table(head, rows) {
  const th = (x) => (Array.isArray(x) ? h('th', { class: x[1] }, x[0]) : h('th', {}, x));
  return h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, head.map(th))),
    h('tbody', {}, rows)));
}

function breachTable(items, names) {
  return table([t('case_no'), t('department'), t('kind'), t('level'), t('deadline'), t('at'), t('resolved')],
    items.map((b) => h('tr', { class: b.resolved ? '' : 'late-row' },
      caseCell(b), h('td', {}, deptLabel(names, b.department_id, b.department_name)),
      h('td', {}, label('breach', b.kind)), h('td', {}, label('level', b.level)),
      h('td', {}, fmtTime(b.deadline)), h('td', {}, fmtTime(b.at)), h('td', {}, b.resolved ? '✓ ' + fmtTime(b.resolved_at) : t('no')))));
}

function escalationTable(items, names) {
  return table([t('case_no'), t('esc_line', t('from'), t('to')), t('kind'), t('status'), t('reason'), t('department'), t('at')],
    items.map((e) => h('tr', { class: e.answer_breached ? 'late-row' : '' },
      caseCell(e), h('td', {}, t('esc_line', label('level', e.from), label('level', e.to))),
      h('td', {}, label('esc', e.kind)),
      h('td', {}, e.status ? label('esc_status', e.status) : '—',
        e.status === 'pending' && e.answer_deadline ? h('div', {}, h('small', { class: 'muted' }, t('answer_deadline') + ' ' + fmtTime(e.answer_deadline))) : null,
        e.comment ? h('div', {}, h('small', { class: 'muted' }, e.comment)) : null),
      h('td', {}, e.reason || ''),
      h('td', {}, e.department_id ? deptLabel(names, e.department_id, e.department_name) : '—'),
      h('td', {}, fmtTime(e.at), e.by ? h('small', { class: 'muted' }, ' · ' + (e.by === 'system' ? t('system_actor') : e.by)) : null))));
}

// ---- follow-up: due soon, supervision orders, urges ----

const HOURS = [1, 2, 4, 8, 24, 48, 72, 168];
const ORDER_STATUSES = ['open', 'overdue', 'answered'];

// dueSoonPanel lists GET /supervision/due-soon: open tasks whose next
// deadline falls within the hours chosen, sorted by deadline or by warning
// (the select, or a click on the column's heading).
function dueSoonPanel(ctx) {
  const p = ctx.params;
  const state = { hours: Number(p.get('hours')) || 4, sort: p.get('sort') === 'warning' ? 'warning' : 'deadline', warning: p.get('warning') || '', page: 1 };
  const list = h('div', { id: 'due-soon-list' });
  const params = () => ({ hours: state.hours, sort: state.sort, warning: state.warning });
  const hours = select('hours', HOURS.map((n) => [String(n), t('within_hours', n)]), String(state.hours), { id: 'due-hours' });
  const sort = select('sort', [['deadline', t('sort_deadline')], ['warning', t('sort_warning')]], state.sort, { id: 'due-sort' });
  const warning = select('warning', [['', t('all')], ['yellow', t('warning_yellow')], ['red', t('warning_red')]], state.warning, { id: 'due-warning' });
  const run = () => {
    ctx.setParams({ tab: 'due_soon', ...params(), sort: state.sort === 'deadline' ? '' : state.sort, hours: state.hours === 4 ? '' : state.hours });
    sort.value = state.sort;
    return load(list, async () => {
      const [res, names] = await Promise.all([get('/supervision/due-soon' + query({ ...params(), page: state.page, page_size: 20 })), departmentNames().catch(() => new Map())]);
      if (!res.items?.length) return h('p', { class: 'empty' }, t('due_soon_none', state.hours));
      const by = (key) => h('button', { class: 'th-sort' + (state.sort === key ? ' active' : ''), type: 'button', 'data-sort': key,
        onclick: () => { state.sort = key; state.page = 1; run(); } }, t(key === 'warning' ? 'warning' : 'next_deadline'), state.sort === key ? ' ▲' : '');
      return [table([t('case_no'), t('department'), t('task_status'), [by('warning')], [by('deadline')], [t('urges'), 'num']],
        res.items.map((x) => h('tr', { class: x.overdue ? 'late-row' : '', 'data-task-id': x.id, 'data-warning': x.warning || '' },
          caseCell(x), h('td', {}, deptLabel(names, x.department_id, x.department_name)), h('td', {}, badge('task_status', x.status)),
          h('td', {}, warningBadge(x.warning) || '—'), h('td', {}, clock(x.next_deadline, { overdue: x.overdue })),
          h('td', { class: 'num' }, String(x.urges || 0))))),
      pager(res, (n) => { state.page = n; run(); })];
    });
  };
  for (const [el, key] of [[hours, 'hours'], [sort, 'sort'], [warning, 'warning']]) {
    el.addEventListener('change', () => { state[key] = key === 'hours' ? Number(el.value) : el.value; state.page = 1; run(); });
  }
  run();
  return section(null,
    h('div', { class: 'page-head' }, h('h2', {}, t('sup_due_soon')), h('button', { class: 'btn', type: 'button', onclick: run }, '↻ ' + t('refresh'))),
    h('div', { class: 'filters' }, field(t('within'), hours), field(t('sort_by'), sort), field(t('warning'), warning)),
    exportsBar('/supervision/due-soon', params), list);
}

// ordersPanel lists GET /supervision/orders: each named department's part
// of an order, open (overdue ones included), overdue or answered.
function ordersPanel(ctx) {
  const state = { status: ORDER_STATUSES.includes(ctx.params.get('status')) ? ctx.params.get('status') : 'open', page: 1 };
  const list = h('div', { id: 'orders-list' });
  const status = select('status', ORDER_STATUSES.map((k) => [k, t('orders_' + k)]), state.status, { id: 'orders-status' });
  const run = () => {
    ctx.setParams({ tab: 'orders', status: state.status === 'open' ? '' : state.status });
    return load(list, async () => {
      const [res, names] = await Promise.all([get('/supervision/orders' + query({ status: state.status, page: state.page, page_size: 20 })), departmentNames().catch(() => new Map())]);
      if (!res.items?.length) return h('p', { class: 'empty' }, t('none'));
      return [table([t('case_no'), t('order_requirement'), t('department'), t('order_due'), t('status'), t('order_answer_text')],
        res.items.map((o) => h('tr', { class: o.status === 'overdue' ? 'late-row' : '', 'data-order-id': o.order_id, 'data-dept': o.department_id, 'data-status': o.status },
          caseCell(o), h('td', {}, o.requirement, h('div', {}, h('small', { class: 'muted' }, `${o.order_id} · ${o.issued_by || ''} ${fmtTime(o.issued_at)}`))),
          h('td', {}, deptLabel(names, o.department_id, o.department_name)),
          h('td', {}, clock(o.due, { active: o.status !== 'answered' })),
          h('td', {}, t('orders_' + o.status), o.late ? [' ', h('span', { class: 'badge late' }, t('order_late'))] : null,
            o.breached ? [' ', h('span', { class: 'badge late' }, t('order_breached'))] : null),
          h('td', {}, o.answer || '—', o.answered_at ? h('div', {}, h('small', { class: 'muted' }, `${o.answered_by || ''} ${fmtTime(o.answered_at)}`)) : null)))),
      pager(res, (n) => { state.page = n; run(); })];
    });
  };
  status.addEventListener('change', () => { state.status = status.value; state.page = 1; run(); });
  run();
  return section(null,
    h('div', { class: 'page-head' }, h('h2', {}, t('sup_orders')), h('button', { class: 'btn', type: 'button', onclick: run }, '↻ ' + t('refresh'))),
    h('div', { class: 'filters' }, field(t('status'), status)),
    exportsBar('/supervision/orders', () => ({ status: state.status })), list);
}

// urgesPanel lists GET /supervision/urges: how often each department was
// urged and on how many tasks, the most urged first.
function urgesPanel() {
  const list = h('div', { id: 'urges-list' });
  const run = () => load(list, async () => {
    const [res, names] = await Promise.all([get('/supervision/urges'), departmentNames().catch(() => new Map())]);
    if (!res.items?.length) return h('p', { class: 'empty' }, t('none'));
    return table([t('department'), [t('urges'), 'num'], [t('urged_tasks'), 'num']],
      res.items.map((u) => h('tr', { 'data-dept': u.department_id },
        h('td', {}, deptLabel(names, u.department_id, u.department_name)), h('td', { class: 'num' }, String(u.urges)), h('td', { class: 'num' }, String(u.tasks)))));
  });
  run();
  return section(null,
    h('div', { class: 'page-head' }, h('h2', {}, t('sup_urges')), h('button', { class: 'btn', type: 'button', onclick: run }, '↻ ' + t('refresh'))),
    exportsBar('/supervision/urges', () => ({})), list);
}

// ---- the 挂账 list ----

// unresolvablePanel lists GET /supervision/unresolvable: cases closed as
// unresolvable and applications still pending, newest first.
function unresolvablePanel() {
  let page = 1;
  const list = h('div', { id: 'unresolvable-list' });
  const run = () => load(list, async () => {
    // The units below the supervisor's name the approvers (an id otherwise).
    const [res, units] = await Promise.all([get('/supervision/unresolvable' + query({ page, page_size: 20 })),
      get('/org-units').then((r) => new Map((r.items || []).map((u) => [u.id, u])), () => new Map())]);
    if (!res.items?.length) return h('p', { class: 'empty' }, t('none'));
    return [unresolvableTable(res.items, units), pager(res, (n) => { page = n; run(); })];
  });
  run();
  return section(null,
    h('div', { class: 'page-head' }, h('h2', {}, t('sup_unresolvable')), h('button', { class: 'btn', type: 'button', onclick: run }, '↻ ' + t('refresh'))),
    h('p', { class: 'muted' }, t('unres_list_hint')), exportsBar('/supervision/unresolvable', () => ({})), list);
}

// unresolvableTable: a row is the case (case_id, number, case_title,
// outcome) and its application (status, reason, approver_org_unit_id,
// requested_at/by, answered_at/by, comment).
function unresolvableTable(items, units) {
  return table([t('case_no'), t('status'), t('unres_reason'), t('approver'), t('requested_at'), t('answered_at')],
    items.map((u) => {
      const status = u.status || '';
      return h('tr', { 'data-case-id': u.case_id, 'data-status': status },
        caseCell(u),
        h('td', {}, status ? label('unres_status', status) : '—', u.outcome ? h('div', {}, h('small', { class: 'muted' }, label('outcome', u.outcome))) : null),
        h('td', {}, u.reason || ''),
        h('td', {}, units.has(u.approver_org_unit_id) ? pickName(units.get(u.approver_org_unit_id)) : (u.approver_org_unit_id || '—'), u.answered_by ? h('small', { class: 'muted' }, ' · ' + u.answered_by) : null,
          u.comment ? h('div', {}, h('small', { class: 'muted' }, u.comment)) : null),
        h('td', {}, fmtTime(u.requested_at), u.requested_by ? h('small', { class: 'muted' }, ' · ' + u.requested_by) : null),
        h('td', {}, u.answered_at ? fmtTime(u.answered_at) : '—'));
    }));
}

// ---- rates ----

// A rates report is {group, from, to, items: [row], total: row}; a row has
// id, name, kind and each rate as {numerator, denominator, rate} with rate
// a fraction or null. Plain numbers (fractions) are read too.
const RATE_KEYS = ['response_rate', 'resolution_rate', 'satisfaction_rate', 'on_time_closure_rate', 'rework_rate', 'extension_rate'];

// rateOf is a rate as a percentage, or null when nothing was counted.
function rateOf(v) {
  const r = typeof v === 'number' ? v : (v && typeof v.rate === 'number' ? v.rate : null);
  return r === null ? null : r * 100;
}

// rateCell shows a rate with its numerator and denominator; with drill
// (rates only, not the assessment) each of the two opens its cases.
function rateCell(v, drill = null, rate = '') {
  const p = rateOf(v);
  const counts = v && typeof v === 'object' && 'denominator' in v
    ? h('small', { class: 'muted' }, ' ', drillLink(String(v.numerator), drill, rate, 'numerator'), '/', drillLink(String(v.denominator), drill, rate, 'denominator'))
    : null;
  return h('td', { class: 'num' }, p === null ? '—' : p.toFixed(1) + '%', counts);
}

// drillLink makes a number of the rates a link to the cases behind it
// (GET /supervision/rates/cases); without drill it stays text.
function drillLink(text, drill, rate, part) {
  if (!drill) return text;
  return h('a', { href: '#', class: 'drill', 'data-rate': rate, 'data-part': part, onclick: (e) => { e.preventDefault(); drill(rate, part); } }, text);
}

// cellCases lists the cases counted in one cell of the rates (a rate's
// numerator or denominator, or a call-back count), each with its count:
// the list adds up to the cell. params are the report's and the row's.
function cellCases(holder, params, rate, part, rowTitle) {
  let page = 1;
  const counted = rate === 'callbacks_unreached' ? t('cb_unreached_apart') : rate === 'callbacks_expired' ? t('cb_expired_apart') : null;
  const what = counted || `${label('rate', rate + '_rate')} · ${t('part.' + part)}`;
  const cell = () => ({ ...params, rate, part });
  const list = h('div', { id: 'rate-cases-list' });
  const run = () => load(list, async () => {
    const [res, names] = await Promise.all([get('/supervision/rates/cases' + query({ ...cell(), page, page_size: 20 })), departmentNames().catch(() => new Map())]);
    if (!res.items?.length) return h('p', { class: 'empty' }, t('drill_none'));
    return [h('p', { class: 'muted' }, t('drill_count') + t('colon') + res.count),
      table([t('case_no'), t('department'), t('drill_task'), t('created_at'), [t('drill_count'), 'num']],
        res.items.map((it) => h('tr', { 'data-case-id': it.case_id },
          caseCell(it), h('td', {}, it.department_id ? deptLabel(names, it.department_id) : '—'),
          h('td', {}, it.appeal_id ? t('drill_adjustment', it.appeal_id) : (it.task_id || '—')),
          h('td', {}, fmtTime(it.filed_at)), h('td', { class: 'num' }, String(it.count))))),
      pager(res, (n) => { page = n; run(); })];
  });
  holder.replaceChildren(section(t('drill_title', rowTitle, what), exportsBar('/supervision/rates/cases', cell), list));
  run();
  holder.scrollIntoView?.({ block: 'nearest' });
}

function rowName(names, r) {
  const d = r.department_id ? names.get(r.department_id) : names.get(r.id);
  return d ? pickName(d) : (r.name || r.id || r.department_id || '—');
}

// months lists the months (YYYY-MM) that [from, to) touches, the last 12.
function months(from, to) {
  const out = [];
  const d = new Date(from.slice(0, 7) + '-01T00:00:00Z');
  const end = new Date(to);
  while (d < end && out.length < 36) {
    out.push(d.toISOString().slice(0, 7));
    d.setUTCMonth(d.getUTCMonth() + 1);
  }
  return out.slice(-12);
}

function ratesPanel() {
  const now = new Date();
  const iso = (d) => d.toISOString().slice(0, 10);
  const from = h('input', { type: 'date', name: 'from', value: `${now.getFullYear()}-01-01` });
  const to = h('input', { type: 'date', name: 'to', value: iso(new Date(now.getTime() + 86400e3)) });
  const group = select('group', [['department', t('group_department')], ['street', t('group_street')], ['district', t('group_district')]], 'department');
  const out = h('div', { id: 'rates' });
  const params = () => ({ from: from.value, to: to.value, group: group.value });
  const f = h('form', { class: 'filters' }, field(t('from'), from), field(t('to'), to), field(t('group'), group),
    h('button', { class: 'btn btn-primary', type: 'submit' }, t('show')));
  const run = () => load(out, async () => {
    const names = await departmentNames().catch(() => new Map());
    const report = await get('/supervision/rates' + query(params()));
    // The chart over time: the same rates month by month.
    const monthly = await Promise.all(months(from.value, to.value).map((m) =>
      get('/supervision/rates' + query({ month: m, group: group.value })).then((r) => ({ month: m, report: r }), () => null)));
    return ratesResult(report, monthly.filter(Boolean), names, params());
  });
  f.addEventListener('submit', (e) => { e.preventDefault(); run(); });
  run();
  return section(t('sup_rates'), f, exportsBar('/supervision/rates', params), out);
}

// ratesResult draws the chart (one line per group over the months) and the
// table of the period. With base, the report's query, every count of the
// table links to its cases (below it). It and ranking are exported so the
// browser test can draw them from sample reports.
export function ratesResult(report, monthly = [], names = new Map(), base = null) {
  const items = report.items || [];
  if (!items.length) return h('p', { class: 'empty' }, t('none'));
  const keys = RATE_KEYS.filter((k) => items.some((r) => k in r));
  const chartBox = h('div', { class: 'chart', id: 'rates-chart' });
  const pick = select('rate', keys.map((k) => [k, label('rate', k)]), keys[0]);
  const series = new Map(); // group name → [[month, percent]]
  for (const { month, report: r } of monthly) {
    for (const row of r.items || []) {
      const name = rowName(names, row);
      if (!series.has(name)) series.set(name, []);
      series.get(name).push([month, row]);
    }
  }
  const draw = () => chartBox.replaceChildren(...chart(monthly.map((m) => m.month), series, pick.value));
  pick.addEventListener('change', draw);
  draw();
  const rows = [...items, report.total ? { ...report.total, name: t('all') } : null].filter(Boolean);
  const cases = h('div', { id: 'rate-cases' });
  // The row of a drill-down: a department or an area as the report groups, none for the total.
  const drillOf = (r, total) => {
    if (!base) return null;
    const row = total ? {} : report.group === 'street' || report.group === 'district' ? { area: r.id } : { department: r.id };
    const title = total ? t('all') : rowName(names, r);
    return (rate, part) => cellCases(cases, { ...base, ...row }, rate, part, title);
  };
  const body = rows.map((r, i) => {
    const drill = drillOf(r, i === items.length);
    return h('tr', { class: i === items.length ? 'total-row' : '', 'data-row': r.id || '' },
      h('td', {}, i === items.length ? t('all') : rowName(names, r)),
      h('td', { class: 'num' }, String(r.counts?.cases ?? '—')),
      keys.map((k) => rateCell(r[k], drill, k.replace(/_rate$/, ''))), // response_rate → rate=response
      // 回访: cases whose resident was not reached or not called back count apart.
      h('td', { class: 'num', 'data-col': 'callbacks_unreached' }, drillLink(String(r.counts?.callbacks_unreached ?? 0), drill, 'callbacks_unreached', 'numerator')),
      h('td', { class: 'num', 'data-col': 'callbacks_expired' }, drillLink(String(r.counts?.callbacks_expired ?? 0), drill, 'callbacks_expired', 'numerator')));
  });
  const period = report.from ? h('p', { class: 'muted' }, `${fmtTime(report.from)} – ${fmtTime(report.to)}`, report.published ? ' · ' + t('published') : '') : null;
  return [field(t('rate'), pick), chartBox, period, table([t('name'), [t('cases'), 'num'], ...keys.map((k) => [label('rate', k), 'num']), [t('cb_unreached_apart'), 'num'], [t('cb_expired_apart'), 'num']], body),
    base ? h('p', { class: 'muted' }, t('drill_hint')) : null, cases];
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const COLORS = ['#b3261e', '#1d6fb8', '#2e7d32', '#8e44ad', '#e08a00', '#00838f', '#6d4c41', '#c2185b'];

// chart draws one rate over the months, a line per group (the eight with
// the most points); a month where nothing was counted leaves a gap.
function chart(periods, series, key) {
  const W = 640, H = 260, L = 44, R = 12, T = 12, B = 34;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label('rate', key), class: 'chart-svg' });
  const legend = h('ul', { class: 'legend' });
  const y = (v) => T + (H - T - B) * (1 - Math.max(0, Math.min(100, v)) / 100);
  for (const g of [0, 25, 50, 75, 100]) {
    svg.append(s('line', { x1: L, x2: W - R, y1: y(g), y2: y(g), class: 'grid' }), s('text', { x: L - 6, y: y(g) + 4, 'text-anchor': 'end', class: 'axis' }, g + '%'));
  }
  if (!periods.length) return [svg, h('p', { class: 'muted' }, t('chart_none'))];
  const x = (p) => L + (periods.length === 1 ? (W - L - R) / 2 : (W - L - R) * periods.indexOf(p) / (periods.length - 1));
  const step = Math.max(1, Math.ceil(periods.length / 8));
  periods.forEach((p, i) => { if (i % step === 0) svg.append(s('text', { x: x(p), y: H - B + 16, 'text-anchor': 'middle', class: 'axis' }, p)); });
  const top = [...series.entries()].sort((a, b) => b[1].length - a[1].length).slice(0, 8);
  let drawn = 0;
  top.forEach(([name, pts], i) => {
    const c = COLORS[i % COLORS.length];
    const vals = pts.map(([p, row]) => [p, rateOf(row[key])]).filter(([, v]) => v !== null);
    if (!vals.length) return;
    drawn++;
    svg.append(s('polyline', { points: vals.map(([p, v]) => `${x(p)},${y(v)}`).join(' '), fill: 'none', stroke: c, 'stroke-width': 2.5 }));
    for (const [p, v] of vals) svg.append(s('circle', { cx: x(p), cy: y(v), r: 3.5, fill: c }, s('title', {}, `${name} ${p}: ${v.toFixed(1)}%`)));
    legend.append(h('li', {}, h('i', { class: 'swatch c' + (i % COLORS.length) }), name));
  });
  return [svg, drawn ? legend : h('p', { class: 'muted' }, t('chart_none'))];
}

// ---- annual assessment ----

function assessmentPanel() {
  const year = h('input', { type: 'number', name: 'year', value: new Date().getFullYear(), min: 2000, max: 2100, inputmode: 'numeric' });
  const out = h('div', { id: 'assessments' });
  const params = () => ({ year: year.value });
  const f = h('form', { class: 'filters' }, field(t('year'), year), h('button', { class: 'btn btn-primary', type: 'submit' }, t('show')));
  const run = () => load(out, async () => {
    const [res, names] = await Promise.all([get('/supervision/assessments' + query(params())), departmentNames().catch(() => new Map())]);
    return ranking(res, names);
  });
  f.addEventListener('submit', (e) => { e.preventDefault(); run(); });
  run();
  return section(t('sup_assessments'), f, exportsBar('/supervision/assessments', params), out);
}

// ranking shows the scorecards: ranked ones by rank, then the unranked
// with the reason.
export function ranking(report, names = new Map()) {
  const items = report.items || [];
  const pct = (w) => (typeof w === 'number' ? (w * 100).toFixed(0) + '%' : '—');
  const meta = h('p', { class: 'muted' }, t('assessment_meta', report.year ?? '', pct(report.street_weight), report.min_cases ?? '—', pct(report.periodic_weight)),
    report.as_of ? ' · ' + t('as_of', report.as_of) : '');
  if (!items.length) return [meta, h('p', { class: 'empty' }, t('none'))];
  const sorted = [...items].sort((a, b) => (a.rank ?? 1e9) - (b.rank ?? 1e9) || (b.total ?? -1) - (a.total ?? -1));
  const num = (v) => h('td', { class: 'num' }, typeof v === 'number' ? v.toFixed(2) : '—');
  const keys = RATE_KEYS.filter((k) => items.some((r) => k in r));
  return [meta, table([[t('rank'), 'num'], t('name'), [t('score'), 'num'], [t('street_score'), 'num'], [t('performance_score'), 'num'], ...keys.map((k) => [label('rate', k), 'num'])],
    sorted.map((r) => h('tr', { class: r.rank && r.rank <= 3 ? 'top' : '' },
      h('td', { class: 'num' }, r.rank ? String(r.rank) : '—'),
      h('td', {}, rowName(names, r), r.unranked || r.unranked_reason ? h('div', { class: 'muted' }, h('small', {}, label('unranked', r.unranked_reason) || r.unranked)) : null),
      num(r.total), num(r.street_score), num(r.performance_score),
      keys.map((k) => rateCell(r[k])))))];
}
