// appeals.js — appeals against a case's attribution (申诉) and the periodic
// evaluation of departments (定期评议), issue 17. A department files an
// appeal from a row of its own drill-down; a supervisor answers; a street
// (or a district) rates the departments serving it once a quarter.
import { get, post, query, departmentNames } from './api.js';
import { t, lang, pickName, dictionaries } from './i18n.js';
import { h, field, select, section, fmtTime, load, busy, errorBox, form, pager } from './ui.js';

// The words of this page, Chinese first; kept here so the shared
// dictionary file is not edited by every page at once.
Object.assign(dictionaries.zh, {
  nav_appeals: '申诉与评议', ap_title: '申诉与定期评议',
  ap_tab_file: '提出申诉', ap_tab_list: '申诉记录', ap_tab_periodic: '定期评议',
  ap_hint: '已发布月份的统计不再改变。对某案件计入本部门的统计有异议，可在申诉期内（月末后 {0} 天）申诉；督查人员支持后，更正计入下一次发布，并在其明细中注明申诉编号。',
  ap_month: '月份', ap_department: '部门', ap_rate: '指标', ap_part: '口径', ap_show: '查看明细',
  'ap_part.denominator': '分母', 'ap_part.numerator': '分子',
  ap_case: '案件', ap_filed: '立案时间', ap_count: '计数', ap_appeal: '对此案申诉', ap_reason: '申诉理由', ap_submit: '提交申诉', ap_filed_ok: '申诉已提交，等待督查人员答复。',
  ap_cells_empty: '该月该指标下没有本部门的案件。', ap_adjustment: '申诉更正（申诉 #{0}）',
  ap_status: '状态', 'ap_status.open': '待答复', 'ap_status.upheld': '已支持', 'ap_status.rejected': '不予支持', ap_all: '全部',
  ap_by: '申诉人', ap_at: '申诉时间', ap_window: '申诉截止', ap_answer: '答复', ap_answered: '{0} 于 {1} 答复', ap_comment: '答复意见',
  ap_uphold: '支持', ap_reject: '不予支持', ap_applied: '已计入 {0} 的发布', ap_pending_apply: '将计入下一次发布', ap_empty: '暂无申诉。',
  pe_hint: '每季度一次，街道对驻街及服务本街道的部门评议、区对市级部门评议：工作、配合、居民代表评分各 0–100 分。评议计入街乡评价得分（占 {0}%），本季度末月发布前可修改。',
  pe_period: '季度', pe_work: '工作', pe_coop: '配合', pe_residents: '居民代表评分', pe_comment: '评议意见', pe_submit: '保存评议', pe_saved: '已保存。',
  pe_rater: '评议单位', pe_by: '评议人', pe_updated: '更新时间', pe_empty: '暂无评议。', pe_score: '得分',
});
Object.assign(dictionaries.en, {
  nav_appeals: 'Appeals', ap_title: 'Appeals and periodic evaluation',
  ap_tab_file: 'File an appeal', ap_tab_list: 'Appeals', ap_tab_periodic: 'Periodic evaluation',
  ap_hint: 'A published month never changes. A department that contests a case counted against it may appeal within {0} days after the month ends; an upheld appeal is applied to the next publication, whose drill-down names the appeal.',
  ap_month: 'Month', ap_department: 'Department', ap_rate: 'Rate', ap_part: 'Part', ap_show: 'Show cases',
  'ap_part.denominator': 'denominator', 'ap_part.numerator': 'numerator',
  ap_case: 'Case', ap_filed: 'Filed', ap_count: 'Count', ap_appeal: 'Appeal this case', ap_reason: 'Reason', ap_submit: 'Submit the appeal', ap_filed_ok: 'Appeal filed; a supervisor will answer.',
  ap_cells_empty: 'No case of the department in that cell.', ap_adjustment: 'Correction (appeal #{0})',
  ap_status: 'Status', 'ap_status.open': 'open', 'ap_status.upheld': 'upheld', 'ap_status.rejected': 'rejected', ap_all: 'All',
  ap_by: 'Filed by', ap_at: 'Filed at', ap_window: 'Window closes', ap_answer: 'Answer', ap_answered: 'answered by {0} at {1}', ap_comment: 'Comment',
  ap_uphold: 'Uphold', ap_reject: 'Reject', ap_applied: 'applied in the publication of {0}', ap_pending_apply: 'to be applied at the next publication', ap_empty: 'No appeals.',
  pe_hint: 'Once a quarter a street rates the departments stationed at or serving it, a district the city departments: work, cooperation and the residents\' representatives\' score, 0–100 each. It enters the share score ({0}%) and can be corrected until the quarter\'s last month is published.',
  pe_period: 'Quarter', pe_work: 'Work', pe_coop: 'Cooperation', pe_residents: 'Residents\' score', pe_comment: 'Comment', pe_submit: 'Save the rating', pe_saved: 'Saved.',
  pe_rater: 'Rated by', pe_by: 'By', pe_updated: 'Updated', pe_empty: 'No ratings yet.', pe_score: 'Score',
});

// Who sees which part: clerks appeal; supervisors and admins answer; the
// command levels and street secretaries rate (the server decides anyway).
export const APPEAL_ROLES = ['clerk', 'supervisor', 'admin', 'commander', 'street_secretary'];
const RATERS = ['commander', 'street_secretary'];
const ANSWERERS = ['supervisor', 'admin'];
const RATES = ['response', 'resolution', 'satisfaction', 'on_time_closure', 'rework', 'extension'];
const RATE_KEYS = { response: 'response_rate', resolution: 'resolution_rate', satisfaction: 'satisfaction_rate', on_time_closure: 'on_time_closure_rate', rework: 'rework_rate', extension: 'extension_rate' };
const rateName = (r) => t('rate.' + RATE_KEYS[r]);

// lastMonth is the month before this one in China time, YYYY-MM.
function lastMonth() {
  const d = new Date(Date.now() + 8 * 3600e3);
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 7);
}

function thisQuarter() {
  const d = new Date(Date.now() + 8 * 3600e3);
  return `${d.getUTCFullYear()}Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
}

// monthText shows YYYY-MM as 2026年11月 in Chinese.
function monthText(m) {
  if (!m) return '';
  const [y, mo] = m.split('-');
  return lang() === 'en' ? m : `${y}年${Number(mo)}月`;
}

// periodText shows 2026Q4 as 2026年第4季度 in Chinese.
function periodText(p) {
  const m = /^(\d{4})Q([1-4])$/.exec(p || '');
  if (!m || lang() === 'en') return p;
  return `${m[1]}年第${m[2]}季度`;
}

export function appealsView(ctx) {
  const role = ctx.me.role;
  const tabs = [];
  if (role === 'clerk') tabs.push(['file', t('ap_tab_file')]);
  tabs.push(['list', t('ap_tab_list')]);
  if (RATERS.includes(role) || ANSWERERS.includes(role) || role === 'clerk') tabs.push(['periodic', t('ap_tab_periodic')]);
  let tab = ctx.params.get('tab') || tabs[0][0];
  const body = h('div', { id: 'appeals-body' });
  const bar = h('div', { class: 'tabs', role: 'tablist' });
  const show = (name) => {
    tab = name;
    bar.replaceChildren(...tabs.map(([k, text]) => h('button', {
      class: 'tab' + (k === tab ? ' active' : ''), type: 'button', role: 'tab', 'aria-selected': String(k === tab), 'data-tab': k, onclick: () => { ctx.setParams({ tab: k }); show(k); },
    }, text)));
    if (name === 'file') body.replaceChildren(filePanel(ctx));
    else if (name === 'periodic') body.replaceChildren(periodicPanel(ctx));
    else body.replaceChildren(listPanel(ctx));
  };
  show(tabs.some(([k]) => k === tab) ? tab : tabs[0][0]);
  const hint = h('p', { class: 'hint' });
  get('/supervision/appeal-settings').then((s) => { hint.textContent = t('ap_hint', s.days); }).catch(() => {});
  return h('div', { class: 'page', id: 'appeals' }, h('div', { class: 'page-head' }, h('h1', {}, t('ap_title'))), hint, bar, body);
}

// filePanel: the department's own drill-down of a rate in a month; each
// row can be appealed.
function filePanel(ctx) {
  const me = ctx.me;
  const month = h('input', { type: 'month', name: 'month', value: ctx.params.get('month') || lastMonth(), required: true });
  const dept = h('input', { name: 'department', value: ctx.params.get('department') || me.department_id || '', maxlength: 40, required: true });
  const rate = select('rate', RATES.map((r) => [r, rateName(r)]), ctx.params.get('rate') || 'response');
  const part = select('part', [['denominator', t('ap_part.denominator')], ['numerator', t('ap_part.numerator')]], 'denominator');
  const out = h('div', { id: 'appeal-cells' });
  const state = { page: 1 };
  const show = () => load(out, async () => {
    const rep = await get('/supervision/appeals/cells' + query({ month: month.value, department: dept.value.trim(), rate: rate.value, part: part.value, page: state.page }));
    if (!rep.items.length) return h('p', { class: 'empty' }, t('ap_cells_empty'));
    return [h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, [t('ap_case'), t('ap_filed'), t('ap_count'), ''].map((x) => h('th', {}, x)))),
      h('tbody', {}, rep.items.map((it) => h('tr', { 'data-case-id': it.case_id },
        h('td', {}, h('a', { href: '/app/cases/' + encodeURIComponent(it.case_id) }, it.number || it.case_id), ' ', it.case_title),
        h('td', {}, fmtTime(it.filed_at)),
        h('td', {}, String(it.count)),
        h('td', {}, it.appeal_id ? t('ap_adjustment', it.appeal_id) : appealForm(rep.month, dept.value.trim(), rate.value, it.case_id)))))),
    pager(rep, (n) => { state.page = n; show(); })];
  });
  const btn = h('button', { class: 'btn btn-primary', type: 'button' }, t('ap_show'));
  btn.addEventListener('click', () => { state.page = 1; show(); });
  if (ctx.params.get('month')) show();
  return section(null, h('div', { class: 'filters' }, field(t('ap_month'), month), field(t('ap_department'), dept), field(t('ap_rate'), rate), field(t('ap_part'), part), btn), out);
}

function appealForm(month, dept, rate, caseID) {
  const wrap = h('details', { class: 'appeal-form' }, h('summary', {}, t('ap_appeal')));
  const done = h('p', { class: 'ok', hidden: true }, t('ap_filed_ok'));
  const f = form({}, [field(t('ap_reason'), h('textarea', { name: 'reason', required: true, maxlength: 2000, rows: 3 }))], t('ap_submit'), async (d) => {
    await post('/supervision/appeals', { month, case_id: caseID, department_id: dept, rate, reason: String(d.get('reason')).trim() });
    f.hidden = true;
    done.hidden = false;
  });
  wrap.append(f, done);
  return wrap;
}

// listPanel: the appeals the caller may see, with the answer form for
// supervisors on open ones.
function listPanel(ctx) {
  const answerer = ANSWERERS.includes(ctx.me.role);
  const month = h('input', { type: 'month', name: 'month', value: ctx.params.get('month') || '' });
  const status = select('status', [['', t('ap_all')], ['open', t('ap_status.open')], ['upheld', t('ap_status.upheld')], ['rejected', t('ap_status.rejected')]], ctx.params.get('status') || '');
  const out = h('div', { id: 'appeal-list' });
  const state = { page: 1 };
  const reload = () => load(out, async () => {
    const list = await get('/supervision/appeals' + query({ month: month.value, status: status.value, page: state.page }));
    if (!list.items.length) return h('p', { class: 'empty' }, t('ap_empty'));
    return [h('ul', { class: 'cards' }, list.items.map((a) => appealCard(a, answerer, reload))), pager(list, (n) => { state.page = n; reload(); })];
  });
  month.addEventListener('change', () => { state.page = 1; reload(); });
  status.addEventListener('change', () => { state.page = 1; reload(); });
  reload();
  return section(null, h('div', { class: 'filters' }, field(t('ap_month'), month), field(t('ap_status'), status)), out);
}

function appealCard(a, answerer, reload) {
  const card = h('li', { class: 'card appeal-card', 'data-appeal-id': a.id, 'data-status': a.status },
    h('div', { class: 'card-head' },
      h('strong', {}, '#' + a.id, ' ', monthText(a.month), ' · ', a.department_name || a.department_id, ' · ', rateName(a.rate)),
      h('span', { class: `badge appeal-${a.status}` }, t('ap_status.' + a.status))),
    h('p', {}, h('a', { href: '/app/cases/' + encodeURIComponent(a.case_id) }, a.case_number || a.case_id), ' ', a.case_title),
    h('p', {}, t('ap_reason'), '：', a.reason),
    h('p', { class: 'muted' }, t('ap_by'), ' ', a.filed_by, ' · ', t('ap_at'), ' ', fmtTime(a.filed_at), ' · ', t('ap_window'), ' ', fmtTime(a.window_closes_at)));
  if (a.status !== 'open') {
    card.append(h('p', {}, t('ap_answered', a.answered_by, fmtTime(a.answered_at)), a.comment ? '：' + a.comment : ''));
    if (a.status === 'upheld') card.append(h('p', { class: 'muted' }, a.applied_month ? t('ap_applied', monthText(a.applied_month)) : t('ap_pending_apply')));
  } else if (answerer) {
    const comment = h('textarea', { name: 'comment', maxlength: 2000, rows: 2 });
    const box = errorBox();
    const answer = (uphold) => {
      const b = h('button', { class: 'btn' + (uphold ? ' btn-primary' : ''), type: 'button', 'data-answer': String(uphold) }, t(uphold ? 'ap_uphold' : 'ap_reject'));
      b.addEventListener('click', () => busy(b, box, async () => {
        await post(`/supervision/appeals/${a.id}/answer`, { uphold, comment: comment.value.trim() });
        reload();
      }));
      return b;
    };
    card.append(field(t('ap_comment'), comment), box, h('div', { class: 'form-actions' }, answer(true), answer(false)));
  }
  return card;
}

// periodicPanel: the rating form (street and district command levels,
// street secretaries) and the ratings the caller may see.
function periodicPanel(ctx) {
  const out = h('div', { id: 'periodic-list' });
  const hint = h('p', { class: 'hint' });
  const reload = () => load(out, async () => {
    const list = await get('/supervision/periodic' + query({ page_size: 100 }));
    hint.textContent = t('pe_hint', Math.round((list.weight || 0) * 100));
    if (!list.items.length) return h('p', { class: 'empty' }, t('pe_empty'));
    return h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, [t('pe_period'), t('pe_rater'), t('ap_department'), t('pe_work'), t('pe_coop'), t('pe_residents'), t('pe_score'), t('pe_by'), t('pe_updated')].map((x) => h('th', {}, x)))),
      h('tbody', {}, list.items.map((e) => h('tr', { 'data-id': e.id },
        h('td', { 'data-period': e.period }, periodText(e.period)), h('td', {}, e.rater_name || e.rater_org_unit_id), h('td', {}, e.department_name || e.department_id),
        h('td', {}, String(e.work)), h('td', {}, String(e.cooperation)), h('td', {}, String(e.residents)),
        h('td', {}, ((e.work + e.cooperation + e.residents) / 3).toFixed(2)), h('td', {}, e.by), h('td', {}, fmtTime(e.updated_at))))));
  });
  let rate = null;
  if (RATERS.includes(ctx.me.role)) {
    const score = (name) => h('input', { type: 'number', name, min: 0, max: 100, step: 1, required: true });
    // Every department; the server refuses one the unit does not rate, saying why.
    const deptSelect = h('select', { name: 'department_id', required: true });
    departmentNames().then((m) => deptSelect.replaceChildren(...[...m.values()].map((d) => h('option', { value: d.id }, pickName(d) || d.id)))).catch(() => {});
    const done = h('p', { class: 'ok', hidden: true }, t('pe_saved'));
    rate = form({ id: 'periodic-form' }, [
      field(t('pe_period'), h('input', { name: 'period', value: thisQuarter(), required: true, pattern: '[0-9]{4}Q[1-4]', maxlength: 6 })),
      field(t('ap_department'), deptSelect),
      field(t('pe_work'), score('work')), field(t('pe_coop'), score('cooperation')), field(t('pe_residents'), score('residents')),
      field(t('pe_comment'), h('textarea', { name: 'comment', maxlength: 2000, rows: 2 })),
    ], t('pe_submit'), async (d) => {
      done.hidden = true;
      await post('/supervision/periodic', {
        period: String(d.get('period')).trim(), department_id: String(d.get('department_id')).trim(),
        scores: { work: Number(d.get('work')), cooperation: Number(d.get('cooperation')), residents: Number(d.get('residents')) },
        comment: String(d.get('comment') || '').trim(),
      });
      done.hidden = false;
      reload();
    });
    rate.append(done);
  }
  reload();
  return section(null, hint, rate, out);
}
