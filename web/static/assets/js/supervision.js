// supervision.js — the supervisor side: SLA breaches and escalations
// (refreshed every 30 s), the rates over time with an inline SVG chart,
// the annual assessment ranking, and CSV / Excel exports of each.
import { get, query, download, departmentNames } from './api.js';
import { t, label, pickName } from './i18n.js';
import { h, field, select, section, fmtTime, pager, load, busy, errorBox } from './ui.js';

const REFRESH_MS = 30000;

export function supervisionView(ctx) {
  const tabs = [
    ['breaches', t('sup_breaches')], ['escalations', t('sup_escalations')],
    ['rates', t('sup_rates')], ['assessments', t('sup_assessments')],
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

function caseLink(id) {
  return h('a', { href: '/app/cases/' + encodeURIComponent(id) }, id);
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
      h('td', {}, caseLink(b.case_id)), h('td', {}, deptLabel(names, b.department_id, b.department_name)),
      h('td', {}, label('breach', b.kind)), h('td', {}, label('level', b.level)),
      h('td', {}, fmtTime(b.deadline)), h('td', {}, fmtTime(b.at)), h('td', {}, b.resolved ? '✓ ' + fmtTime(b.resolved_at) : t('no')))));
}

function escalationTable(items, names) {
  return table([t('case_no'), t('esc_line', t('from'), t('to')), t('kind'), t('reason'), t('department'), t('at')],
    items.map((e) => h('tr', {},
      h('td', {}, caseLink(e.case_id)), h('td', {}, t('esc_line', label('level', e.from), label('level', e.to))),
      h('td', {}, label('esc', e.kind)), h('td', {}, e.reason || ''),
      h('td', {}, e.department_id ? deptLabel(names, e.department_id, e.department_name) : '—'),
      h('td', {}, fmtTime(e.at), e.by ? h('small', { class: 'muted' }, ' · ' + e.by) : null))));
}

// ---- rates ----

// The rates route's rows are read tolerantly: a row names its group
// (name, department_name, …), maybe its period (period, month, date, …),
// and carries rates as numbers in fields ending in "_rate" (0–1 or 0–100).
const TIME_KEYS = ['period', 'bucket', 'month', 'week', 'day', 'date', 'from', 'at'];
const GROUP_KEYS = ['name', 'group_name', 'department_name', 'org_unit_name', 'label', 'department_id', 'org_unit_id', 'group_id', 'id', 'key'];
const RATE_ORDER = ['response_rate', 'resolution_rate', 'satisfaction_rate', 'on_time_rate', 'on_time_closure_rate', 'rework_rate', 'extension_rate'];

function firstKey(row, keys) { return keys.find((k) => row[k] !== undefined && row[k] !== null && row[k] !== ''); }

// flatten turns {items:[{…, series:[points]}]}, {series:[…]} or a bare
// array into flat rows.
function flatten(res) {
  const rows = [];
  const base = Array.isArray(res) ? res : [...(res.items || res.rows || []), ...(res.series || [])];
  for (const r of base) {
    const pts = r.series || r.points;
    if (Array.isArray(pts)) {
      const { series, points, ...rest } = r;
      for (const p of pts) rows.push({ ...rest, ...p });
    } else rows.push(r);
  }
  return rows;
}

function rateKeysOf(rows) {
  const keys = new Set();
  for (const r of rows) for (const [k, v] of Object.entries(r)) if (typeof v === 'number' && /rate$/.test(k)) keys.add(k);
  return [...keys].sort((a, b) => (RATE_ORDER.indexOf(a) + 1 || 99) - (RATE_ORDER.indexOf(b) + 1 || 99));
}

// percent shows a rate; mult is 100 for fractions (0–1), 1 for percentages.
function percent(v, mult) {
  if (typeof v !== 'number') return '—';
  return (v * mult).toFixed(1) + '%';
}

function ratesPanel() {
  const now = new Date();
  const iso = (d) => d.toISOString().slice(0, 10);
  const from = h('input', { type: 'date', name: 'from', value: iso(new Date(now.getFullYear(), 0, 1)) });
  const to = h('input', { type: 'date', name: 'to', value: iso(new Date(now.getTime() + 86400e3)) });
  const group = select('group', [['department', t('group_department')], ['street', t('group_street')], ['district', t('group_district')]], 'department');
  const out = h('div', { id: 'rates' });
  const params = () => ({ from: from.value, to: to.value, group: group.value });
  const f = h('form', { class: 'filters' }, field(t('from'), from), field(t('to'), to), field(t('group'), group),
    h('button', { class: 'btn btn-primary', type: 'submit' }, t('show')));
  const run = () => load(out, async () => {
    const res = await get('/supervision/rates' + query(params()));
    return ratesResult(res);
  });
  f.addEventListener('submit', (e) => { e.preventDefault(); run(); });
  run();
  return section(t('sup_rates'), f, exportsBar('/supervision/rates', params), out);
}

// ratesResult and ranking are exported so the browser test can draw them
// from sample rows while the supervision routes are being built.
export function ratesResult(res) {
  const rows = flatten(res);
  const keys = rateKeysOf(rows);
  if (!rows.length || !keys.length) return h('p', { class: 'empty' }, t('none'));
  const scale = rows.every((r) => keys.every((k) => typeof r[k] !== 'number' || r[k] <= 1)) ? 100 : 1;
  const chartBox = h('div', { class: 'chart', id: 'rates-chart' });
  const pick = select('rate', keys.map((k) => [k, label('rate', k)]), keys[0]);
  const draw = () => chartBox.replaceChildren(...chart(rows, pick.value, scale));
  pick.addEventListener('change', draw);
  draw();
  const timeKey = rows.map((r) => firstKey(r, TIME_KEYS)).find(Boolean);
  const head = [t('name'), timeKey ? t('at') : null, ...keys.map((k) => [label('rate', k), 'num'])].filter(Boolean);
  const body = rows.slice(0, 300).map((r) => h('tr', {},
    h('td', {}, String(r[firstKey(r, GROUP_KEYS)] ?? '—')), timeKey ? h('td', {}, String(r[timeKey] ?? '')) : null,
    keys.map((k) => h('td', { class: 'num' }, percent(r[k], scale)))));
  return [field(t('rate'), pick), chartBox, table(head, body)];
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const COLORS = ['#b3261e', '#1d6fb8', '#2e7d32', '#8e44ad', '#e08a00', '#00838f', '#6d4c41', '#c2185b'];

// chart draws one rate over time, a line per group (the eight largest
// groups), or bars per group when the rows have no period.
function chart(rows, key, scale) {
  const W = 640, H = 260, L = 44, R = 12, T = 12, B = 34;
  const val = (r) => (typeof r[key] === 'number' ? r[key] * scale : null);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label('rate', key), class: 'chart-svg' });
  const y = (v) => T + (H - T - B) * (1 - Math.max(0, Math.min(100, v)) / 100);
  for (const g of [0, 25, 50, 75, 100]) {
    svg.append(s('line', { x1: L, x2: W - R, y1: y(g), y2: y(g), class: 'grid' }), s('text', { x: L - 6, y: y(g) + 4, 'text-anchor': 'end', class: 'axis' }, g + '%'));
  }
  const groups = new Map();
  for (const r of rows) {
    const g = String(r[firstKey(r, GROUP_KEYS)] ?? '—');
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(r);
  }
  const top = [...groups.entries()].sort((a, b) => b[1].length - a[1].length).slice(0, 8);
  const periods = [...new Set(rows.map((r) => r[firstKey(r, TIME_KEYS)]).filter(Boolean))].sort();
  const legend = h('ul', { class: 'legend' });
  if (periods.length) {
    const x = (p) => L + (periods.length === 1 ? (W - L - R) / 2 : (W - L - R) * periods.indexOf(p) / (periods.length - 1));
    const step = Math.max(1, Math.ceil(periods.length / 8));
    periods.forEach((p, i) => { if (i % step === 0) svg.append(s('text', { x: x(p), y: H - B + 16, 'text-anchor': 'middle', class: 'axis' }, String(p).slice(0, 10))); });
    top.forEach(([g, rs], i) => {
      const pts = rs.map((r) => [r[firstKey(r, TIME_KEYS)], val(r)]).filter(([p, v]) => p && v !== null).sort((a, b) => (a[0] < b[0] ? -1 : 1));
      if (!pts.length) return;
      const c = COLORS[i % COLORS.length];
      svg.append(s('polyline', { points: pts.map(([p, v]) => `${x(p)},${y(v)}`).join(' '), fill: 'none', stroke: c, 'stroke-width': 2.5 }));
      for (const [p, v] of pts) svg.append(s('circle', { cx: x(p), cy: y(v), r: 3.5, fill: c }, s('title', {}, `${g} ${p}: ${v.toFixed(1)}%`)));
      legend.append(h('li', {}, h('i', { class: 'swatch c' + (i % COLORS.length) }), g));
    });
  } else {
    const bw = (W - L - R) / Math.max(1, top.length);
    top.forEach(([g, rs], i) => {
      const v = val(rs[0]);
      if (v === null) return;
      svg.append(s('rect', { x: L + i * bw + bw * 0.15, y: y(v), width: bw * 0.7, height: H - B - y(v), fill: COLORS[i % COLORS.length] }, s('title', {}, `${g}: ${v.toFixed(1)}%`)),
        s('text', { x: L + i * bw + bw / 2, y: y(v) - 4, 'text-anchor': 'middle', class: 'axis' }, v.toFixed(0) + '%'));
      legend.append(h('li', {}, h('i', { class: 'swatch c' + (i % COLORS.length) }), g));
    });
  }
  return [svg, legend];
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

export function ranking(res, names = new Map()) {
  const rows = Array.isArray(res) ? res : (res.items || res.ranking || res.rankings || []);
  if (!rows.length) return h('p', { class: 'empty' }, t('none'));
  const scoreOf = (r) => r.score ?? r.total_score ?? r.total ?? null;
  const sorted = [...rows].sort((a, b) => (a.rank ?? 1e9) - (b.rank ?? 1e9) || (scoreOf(b) ?? 0) - (scoreOf(a) ?? 0));
  const keys = rateKeysOf(rows);
  const scale = rows.every((r) => keys.every((k) => typeof r[k] !== 'number' || r[k] <= 1)) ? 100 : 1;
  const nameOf = (r) => r.department_id && names.get(r.department_id) ? pickName(names.get(r.department_id)) : String(r[firstKey(r, GROUP_KEYS)] ?? '—');
  return table([[t('rank'), 'num'], t('name'), [t('score'), 'num'], ...keys.map((k) => [label('rate', k), 'num'])],
    sorted.map((r, i) => h('tr', { class: i < 3 ? 'top' : '' },
      h('td', { class: 'num' }, String(r.rank ?? i + 1)), h('td', {}, nameOf(r)),
      h('td', { class: 'num' }, scoreOf(r) === null ? '—' : Number(scoreOf(r)).toFixed(1)),
      keys.map((k) => h('td', { class: 'num' }, percent(r[k], scale))))));
}

