// admin_pages.js — the rest of the admin side: the org tree and its
// departments, users (create, disable, reset password, tokens), API tokens,
// the whistle catalogue, the working calendar, policy rules, intake
// settings with escalation review, the annual assessment's settings, and
// the audit log of every change.
// Changes that hold for the whole city (catalogue, calendar, rules) ask
// first.
import { get, post, put, request, query } from './api.js';
import { t, label, pickName, dictionaries } from './i18n.js';
import { h, form, field, select, load, busy, errorBox, fmtTime, pager, confirmAction } from './ui.js';

// The words of these pages, Chinese first; kept here so the shared
// dictionary file is not edited by every page at once.
Object.assign(dictionaries.zh, {
  nav_org: '组织架构', nav_users: '用户', nav_tokens: '接口令牌', nav_catalogue: '吹哨事项', nav_calendar: '工作日历',
  nav_rules: '权限规则', nav_intake_settings: '受理设置', nav_audit: '审计日志',
  org_title: '组织架构', org_hint: '市、区、街道、社区、网格五级；每个单位下可设部门，街道部门可派驻自区级上级部门。',
  org_add_child: '添加下级', org_rename: '改名', org_id: '编码', org_name: '名称', org_name_en: '英文名称', org_delete_confirm: '删除“{0}”？只有空的单位可以删除。',
  org_depts: '部门', dept_new: '添加部门', dept_kind: '部门类别', dept_parent: '上级部门（派驻自）', dept_disable: '停用', dept_enable: '启用',
  'org_kind.city': '市', 'org_kind.district': '区', 'org_kind.street': '街道', 'org_kind.community': '社区', 'org_kind.grid': '网格',
  users_title: '用户', users_hint: '新建用户、停用或启用、重置密码（用户下次登录须修改）、签发和吊销令牌。',
  user_new: '新建用户', user_username: '用户名', user_display: '姓名', user_role: '角色', user_unit: '所在单位', user_dept: '所属部门（部门内勤必填）',
  user_move: '改任', user_move_confirm: '将“{0}”改任为{1}？其权限随之改变。',
  user_disable: '停用', user_enable: '启用', user_reset: '重置密码', user_unlock: '解除锁定', user_new_password: '新密码（至少 10 个字符）',
  user_reset_done: '已重置，用户下次登录须修改密码。', user_disable_confirm: '停用用户“{0}”？其令牌将被吊销。', user_inactive: '已停用',
  user_q: '用户名或姓名', user_unlock_done: '已解除锁定。',
  tokens_title: '接口令牌', tokens_hint: '供 12345 热线、脚本等集成使用。令牌只在签发时显示一次，请立即保存。',
  token_new: '签发令牌', token_user: '用户', token_name: '用途名称', token_expires: '有效期至', token_created: '签发于', token_last_used: '最近使用',
  token_never_used: '从未使用', token_revoke: '吊销', token_revoke_confirm: '吊销令牌“{0}”？使用它的集成将立即失效。', token_revoked: '已吊销', token_expired: '已过期',
  token_shown_once: '新令牌（只显示这一次）：', token_show_revoked: '显示已吊销',
  catalogue_title: '吹哨事项', catalogue_hint: '群众诉求的事项目录：默认哨类、应报到的部门类别和层级。修改对全市生效。',
  cat_new: '新增事项', cat_id: '编码', cat_name: '名称', cat_category: '分类', cat_class: '默认哨类', cat_kinds: '部门类别（逗号分隔）', cat_levels: '层级',
  cat_active: '启用', cat_inactive: '已停用', cat_confirm: '吹哨事项对全市生效，确认保存“{0}”？',
  calendar_title: '工作日历', calendar_hint: '法定节假日与调休上班日；时限按工作时间计算。修改对全市生效。',
  cal_year: '年份', cal_date: '日期', cal_kind: '类型', cal_name: '名称', cal_add: '添加', 'cal_kind.holiday': '节假日', 'cal_kind.workday': '调休上班',
  cal_confirm: '工作日历对全市生效，确认将 {0} 设为“{1}”？', cal_delete_confirm: '删除 {0}（{1}）？该日恢复为普通工作日或周末。',
  'weekday.monday': '周一', 'weekday.tuesday': '周二', 'weekday.wednesday': '周三', 'weekday.thursday': '周四', 'weekday.friday': '周五', 'weekday.saturday': '周六', 'weekday.sunday': '周日',
  rules_title: '权限规则', rules_hint: '角色可以对哪些对象做什么（关系：本人、辖区、任意）。修改对全市生效。',
  rule_role: '角色', rule_action: '操作', rule_relation: '关系', rule_name: '规则名', rule_add: '添加规则',
  rule_confirm: '权限规则对全市生效，确认添加？', rule_delete_confirm: '删除规则“{0}”？',
  intake_title: '受理设置', intake_hint: '各来源的受理时限（工作时间，如 2h、1d），以及各层级上报是否须经审核。',
  intake_accept_within: '受理时限', intake_default: '默认', review_title: '上报审核', review_on: '上报须经审核',
  audit_title: '审计日志', audit_hint: '登录记录与所有管理操作：谁、何时、从哪里、改了什么。',
  audit_category: '类别', 'audit_category.signin': '登录', 'audit_category.admin': '管理操作',
  audit_actor: '操作人', audit_kind: '对象', audit_action: '操作', audit_object: '对象编号', audit_from: '起', audit_to: '止',
  audit_field: '字段', audit_before: '修改前', audit_after: '修改后', audit_address: '地址', audit_request: '请求号', audit_no_change: '（无字段变化）',
  'audit_action.create': '新建', 'audit_action.update': '修改', 'audit_action.delete': '删除', 'audit_action.reset': '重置密码',
  'audit_action.unlock': '解除锁定', 'audit_action.revoke': '吊销', 'audit_action.replace': '整体替换',
  'audit_kind.org_unit': '组织', 'audit_kind.department': '部门', 'audit_kind.user': '用户', 'audit_kind.credential': '密码', 'audit_kind.api_token': '接口令牌',
  'audit_kind.catalogue_item': '吹哨事项', 'audit_kind.sla_policy': 'SLA 策略', 'audit_kind.calendar': '工作日历', 'audit_kind.calendar_day': '日历日',
  'audit_kind.intake_setting': '受理设置', 'audit_kind.assessment_setting': '考核设置', 'audit_kind.escalation_review': '上报审核', 'audit_kind.policy_rule': '权限规则', 'audit_kind.open311_client': 'Open311 客户端',
  'audit_kind.hotline_system': '热线系统', 'audit_kind.channel': '通知渠道', 'audit_kind.duty_roster': '值班表', 'audit_kind.geo_area': '网格边界',
  'audit_kind.signin': '登录', 'audit_kind.signout': '退出', 'audit_kind.password': '密码', 'audit_kind.unlock': '解锁', 'audit_kind.token': '令牌',
  'audit_outcome.success': '成功', 'audit_outcome.failure': '失败', 'audit_outcome.backoff': '限速', 'audit_outcome.locked': '已锁定', 'audit_outcome.lockout': '锁定',
  'audit_outcome.changed': '已修改', 'audit_outcome.reset': '已重置', 'audit_outcome.unlocked': '已解锁', 'audit_outcome.issued': '已签发', 'audit_outcome.revoked': '已吊销', 'audit_outcome.sso': '单点登录', 'audit_outcome.sso_refused': '单点登录被拒',
  'audit_col.name': '名称', 'audit_col.name_en': '英文名称', 'audit_col.display_name': '姓名', 'audit_col.active': '启用', 'audit_col.role': '角色',
  'audit_col.kind': '类型', 'audit_col.category': '分类', 'audit_col.default_class': '默认哨类', 'audit_col.department_kinds': '部门类别', 'audit_col.levels': '层级',
  'audit_col.date': '日期', 'audit_col.report_within': '报到时限', 'audit_col.handle_within': '办结时限', 'audit_col.evaluate_within': '评价时限',
  'audit_col.warn_yellow': '黄色预警', 'audit_col.warn_red': '红色预警', 'audit_col.max_extensions': '最多延期次数', 'audit_col.max_extension_days': '最多延期天数',
  'audit_col.must_change': '须修改密码', 'audit_col.failures': '失败次数', 'audit_col.locked_at': '锁定于', 'audit_col.changed_at': '修改于', 'audit_col.revoked_at': '吊销于',
  'audit_col.expires_at': '有效期至', 'audit_col.accept_within': '受理时限', 'audit_col.review': '须审核', 'audit_col.enabled': '启用', 'audit_col.events': '事件',
  'audit_col.settings': '设置', 'audit_col.org_unit_id': '单位', 'audit_col.department_id': '部门', 'audit_col.parent_id': '上级', 'audit_col.user_id': '用户',
  'audit_col.v0': '角色', 'audit_col.v1': '操作', 'audit_col.v2': '关系', 'audit_col.v3': '规则名', 'audit_col.phone': '电话', 'audit_col.updated_by': '修改人',
  'audit_col.last_failure_at': '最近失败', 'audit_col.source': '来源', 'audit_col.level': '层级', 'audit_col.class': '哨类', 'audit_col.path': '路径',
  'audit_col.owner_id': '所属', 'audit_col.username': '用户名', 'audit_col.weekday': '星期', 'audit_col.from_minute': '开始', 'audit_col.to_minute': '结束',
  'audit_col.default_satisfaction': '默认满意度', 'audit_col.org_path': '单位路径', 'audit_col.depth': '层级深度', 'audit_col.p_type': '类型', 'audit_col.id': '编号',
  'audit_col.items': '条目', 'audit_col.last_used_at': '最近使用',
  'relation.own': '本人', 'relation.scope': '辖区', 'relation.anywhere': '任意',
});
Object.assign(dictionaries.en, {
  nav_org: 'Org tree', nav_users: 'Users', nav_tokens: 'API tokens', nav_catalogue: 'Catalogue', nav_calendar: 'Calendar',
  nav_rules: 'Policy rules', nav_intake_settings: 'Intake', nav_audit: 'Audit log',
  org_title: 'Org tree', org_hint: 'City, district, street, community and grid; departments sit at a unit, a street department may be stationed from a district one.',
  org_add_child: 'Add below', org_rename: 'Rename', org_id: 'Code', org_name: 'Name', org_name_en: 'English name', org_delete_confirm: 'Delete "{0}"? Only an empty unit can go.',
  org_depts: 'Departments', dept_new: 'Add department', dept_kind: 'Kind', dept_parent: 'Upper department (stationed from)', dept_disable: 'Disable', dept_enable: 'Enable',
  'org_kind.city': 'city', 'org_kind.district': 'district', 'org_kind.street': 'street', 'org_kind.community': 'community', 'org_kind.grid': 'grid',
  users_title: 'Users', users_hint: 'Create users, disable or enable them, reset passwords (changed at next sign-in), issue and revoke tokens.',
  user_new: 'New user', user_username: 'Username', user_display: 'Name', user_role: 'Role', user_unit: 'Org unit', user_dept: 'Department (clerks)',
  user_move: 'Reassign', user_move_confirm: 'Reassign "{0}" as {1}? What they may do changes with it.',
  user_disable: 'Disable', user_enable: 'Enable', user_reset: 'Reset password', user_unlock: 'Unlock', user_new_password: 'New password (10+ characters)',
  user_reset_done: 'Reset: the user must change it at next sign-in.', user_disable_confirm: 'Disable "{0}"? Their tokens are revoked.', user_inactive: 'disabled',
  user_q: 'Username or name', user_unlock_done: 'Unlocked.',
  tokens_title: 'API tokens', tokens_hint: 'For the 12345 hotline, scripts and other integrations. A token is shown once, when issued.',
  token_new: 'Issue a token', token_user: 'User', token_name: 'Name', token_expires: 'Expires', token_created: 'Issued', token_last_used: 'Last used',
  token_never_used: 'never used', token_revoke: 'Revoke', token_revoke_confirm: 'Revoke the token "{0}"? Integrations using it stop at once.', token_revoked: 'revoked', token_expired: 'expired',
  token_shown_once: 'New token (shown this once):', token_show_revoked: 'Show revoked',
  catalogue_title: 'Whistle catalogue', catalogue_hint: 'What residents report: default class, which kinds of department report, at which levels. Changes hold city-wide.',
  cat_new: 'New item', cat_id: 'Code', cat_name: 'Name', cat_category: 'Category', cat_class: 'Default class', cat_kinds: 'Department kinds (comma-separated)', cat_levels: 'Levels',
  cat_active: 'Active', cat_inactive: 'inactive', cat_confirm: 'The catalogue holds city-wide. Save "{0}"?',
  calendar_title: 'Working calendar', calendar_hint: 'Public holidays and make-up working days; deadlines count working time. Changes hold city-wide.',
  cal_year: 'Year', cal_date: 'Date', cal_kind: 'Kind', cal_name: 'Name', cal_add: 'Add', 'cal_kind.holiday': 'holiday', 'cal_kind.workday': 'make-up working day',
  cal_confirm: 'The calendar holds city-wide. Make {0} a "{1}"?', cal_delete_confirm: 'Delete {0} ({1})? It becomes an ordinary day again.',
  'weekday.monday': 'Mon', 'weekday.tuesday': 'Tue', 'weekday.wednesday': 'Wed', 'weekday.thursday': 'Thu', 'weekday.friday': 'Fri', 'weekday.saturday': 'Sat', 'weekday.sunday': 'Sun',
  rules_title: 'Policy rules', rules_hint: 'What each role may do to what (relation: own, in scope, anywhere). Changes hold city-wide.',
  rule_role: 'Role', rule_action: 'Action', rule_relation: 'Relation', rule_name: 'Rule name', rule_add: 'Add rule',
  rule_confirm: 'Policy rules hold city-wide. Add this rule?', rule_delete_confirm: 'Delete the rule "{0}"?',
  intake_title: 'Intake settings', intake_hint: 'How long each source may wait for acceptance (working time: 2h, 1d), and whether escalations from each level are reviewed.',
  intake_accept_within: 'Accept within', intake_default: 'default', review_title: 'Escalation review', review_on: 'Escalations are reviewed',
  audit_title: 'Audit log', audit_hint: 'Sign-ins and every admin change: who, when, from where, what changed.',
  audit_category: 'Category', 'audit_category.signin': 'sign-in', 'audit_category.admin': 'admin change',
  audit_actor: 'By', audit_kind: 'Object', audit_action: 'Action', audit_object: 'Object id', audit_from: 'From', audit_to: 'To',
  audit_field: 'Field', audit_before: 'Before', audit_after: 'After', audit_address: 'Address', audit_request: 'Request', audit_no_change: '(no field changed)',
  'audit_action.create': 'create', 'audit_action.update': 'update', 'audit_action.delete': 'delete', 'audit_action.reset': 'password reset',
  'audit_action.unlock': 'unlock', 'audit_action.revoke': 'revoke', 'audit_action.replace': 'replace',
  'audit_kind.org_unit': 'org unit', 'audit_kind.department': 'department', 'audit_kind.user': 'user', 'audit_kind.credential': 'password', 'audit_kind.api_token': 'API token',
  'audit_kind.catalogue_item': 'catalogue item', 'audit_kind.sla_policy': 'SLA policy', 'audit_kind.calendar': 'calendar', 'audit_kind.calendar_day': 'calendar day',
  'audit_kind.intake_setting': 'intake setting', 'audit_kind.assessment_setting': 'assessment settings', 'audit_kind.escalation_review': 'escalation review', 'audit_kind.policy_rule': 'policy rule', 'audit_kind.open311_client': 'Open311 client',
  'audit_kind.hotline_system': 'hotline system', 'audit_kind.channel': 'channel', 'audit_kind.duty_roster': 'duty roster', 'audit_kind.geo_area': 'grid outline',
  'audit_kind.signin': 'sign-in', 'audit_kind.signout': 'sign-out', 'audit_kind.password': 'password', 'audit_kind.unlock': 'unlock', 'audit_kind.token': 'token',
  'relation.own': 'own', 'relation.scope': 'in scope', 'relation.anywhere': 'anywhere',
  'audit_outcome.success': 'success', 'audit_outcome.failure': 'failure', 'audit_outcome.backoff': 'slowed down', 'audit_outcome.locked': 'locked', 'audit_outcome.lockout': 'lockout',
  'audit_outcome.changed': 'changed', 'audit_outcome.reset': 'reset', 'audit_outcome.unlocked': 'unlocked', 'audit_outcome.issued': 'issued', 'audit_outcome.revoked': 'revoked', 'audit_outcome.sso': 'single sign-on', 'audit_outcome.sso_refused': 'single sign-on refused',
});
// The audit's column names read as themselves in English.
for (const k of Object.keys(dictionaries.zh)) {
  if (k.startsWith('audit_col.') && !(k in dictionaries.en)) dictionaries.en[k] = k.slice('audit_col.'.length).replaceAll('_', ' ');
}

const ROLES = ['admin', 'commander', 'supervisor', 'street_secretary', 'community_secretary', 'grid_worker', 'clerk'];
const CLASSES = ['emergency', 'key', 'routine', 'coordination'];
const LEVELS = ['community', 'street', 'district', 'city'];
const CHILD = { city: 'district', district: 'street', street: 'community', community: 'grid' };

function page(titleKey, hintKey, ...body) {
  return h('div', { class: 'page admin-page' }, h('h1', {}, t(titleKey)), h('p', { class: 'muted' }, t(hintKey)), body);
}

// button makes a small button whose action runs busy, errors shown in box.
function button(text, box, fn, attrs = {}) {
  const b = h('button', { class: 'btn btn-small', type: 'button', ...attrs }, text);
  b.addEventListener('click', () => busy(b, box, fn));
  return b;
}

async function confirmed(msg) { return confirmAction(msg); }

// labelOrCode shows a wire value's label, or the value itself as code
// when it has none (a rule's relation): never a bare English word.
function labelOrCode(kind, v) {
  const l = label(kind, v);
  return l === v ? h('code', { translate: 'no' }, v) : l;
}

// ---- the org tree ----

export function orgView() {
  const body = h('div', { id: 'org' });
  const reload = () => load(body, async () => {
    const [units, depts] = await Promise.all([get('/admin/org-units?page_size=200'), get('/admin/departments?page_size=200')]);
    const byUnit = new Map();
    for (const d of depts.items || []) byUnit.set(d.org_unit_id, [...(byUnit.get(d.org_unit_id) || []), d]);
    const allDepts = depts.items || [];
    return h('ul', { class: 'cards org-tree' }, (units.items || []).map((u) => unitCard(u, byUnit.get(u.id) || [], allDepts, reload)));
  });
  reload();
  return page('org_title', 'org_hint', body);
}

function unitCard(u, depts, allDepts, reload) {
  const box = errorBox();
  const li = h('li', { class: 'card org-unit', 'data-id': u.id, 'data-kind': u.kind });
  // Indented by depth through the CSSOM: the CSP refuses style attributes.
  li.style.marginLeft = `${Math.min(u.depth - 1, 4) * 0.75}rem`;
  const rename = form({ class: 'inline-form' }, [field(t('org_name'), h('input', { name: 'name', value: u.name, required: true, maxlength: 128 }))], t('save'), async (d) => {
    await request('PATCH', '/admin/org-units/' + encodeURIComponent(u.id), { name: String(d.get('name')).trim() });
    reload();
  });
  const child = CHILD[u.kind];
  const add = child ? form({ class: 'inline-form' }, [
    field(t('org_id'), h('input', { name: 'id', required: true, maxlength: 32, pattern: '[A-Za-z0-9-]+', value: u.id })),
    field(t('org_name'), h('input', { name: 'name', required: true, maxlength: 128 })),
  ], t('org_add_child'), async (d) => {
    await post('/admin/org-units', { id: String(d.get('id')).trim(), parent_id: u.id, kind: child, name: String(d.get('name')).trim() });
    reload();
  }) : null;
  const dept = u.kind !== 'grid' ? form({ class: 'inline-form' }, [
    field(t('org_id'), h('input', { name: 'id', required: true, maxlength: 40, pattern: '[A-Za-z0-9-]+' })),
    field(t('org_name'), h('input', { name: 'name', required: true, maxlength: 128 })),
    field(t('dept_kind'), h('input', { name: 'kind', required: true, maxlength: 32, pattern: '[a-z0-9_-]+' })),
    field(t('dept_parent'), select('parent_id', [['', '—'], ...allDepts.filter((x) => x.org_unit_id !== u.id && u.path.startsWith(x.org_path || '')).map((x) => [x.id, pickName(x)])], '')),
  ], t('dept_new'), async (d) => {
    const body = { id: String(d.get('id')).trim(), name: String(d.get('name')).trim(), kind: String(d.get('kind')).trim(), org_unit_id: u.id };
    if (d.get('parent_id')) body.parent_id = d.get('parent_id');
    await post('/admin/departments', body);
    reload();
  }) : null;
  const del = button(t('delete'), box, async () => {
    if (!(await confirmed(t('org_delete_confirm', pickName(u))))) return;
    await request('DELETE', '/admin/org-units/' + encodeURIComponent(u.id));
    reload();
  }, { class: 'btn btn-small btn-danger' });
  li.append(...[
    h('div', { class: 'case-card-head' }, h('h3', {}, pickName(u)), h('div', { class: 'badges' }, h('span', { class: 'badge' }, label('org_kind', u.kind)), h('code', { translate: 'no' }, u.id))),
    depts.length ? h('ul', { class: 'dept-list' }, depts.map((d) => deptRow(d, allDepts, box, reload))) : null,
    h('details', { class: 'more' }, h('summary', {}, t('edit')), rename, add, dept, h('div', { class: 'form-actions' }, del)),
    box].filter(Boolean));
  return li;
}

function deptRow(d, allDepts, box, reload) {
  const parent = d.parent_id ? allDepts.find((x) => x.id === d.parent_id) : null;
  return h('li', { 'data-id': d.id }, pickName(d), ' ', h('code', { translate: 'no' }, d.id),
    parent ? h('span', { class: 'muted' }, ` ← ${pickName(parent)}`) : null,
    d.active ? null : h('span', { class: 'badge' }, t('user_inactive')), ' ',
    button(d.active ? t('dept_disable') : t('dept_enable'), box, async () => {
      await request('PATCH', '/admin/departments/' + encodeURIComponent(d.id), { active: !d.active });
      reload();
    }));
}

// ---- users ----

export function usersView() {
  const body = h('div', { id: 'users' });
  let q = '', pg = 1;
  // The org units and departments a user may be placed at (create, move).
  const places = Promise.all([get('/admin/org-units?page_size=200'), get('/admin/departments?page_size=200&active=true')]);
  const reload = () => load(body, async () => {
    const res = await get('/admin/users' + query({ q, page: pg, page_size: 50 }));
    return [
      h('ul', { class: 'cards', id: 'user-list' }, (res.items || []).map((u) => userCard(u, reload, places))),
      pager(res, (p) => { pg = p; reload(); }),
    ];
  });
  const search = form({ class: 'filters' }, [field(t('filter_q'), h('input', { name: 'q', placeholder: t('user_q'), maxlength: 100 }))], t('filter'), async (d) => {
    q = String(d.get('q')).trim(); pg = 1; reload();
  });
  const create = h('details', { class: 'card more', id: 'user-new' }, h('summary', {}, '＋ ' + t('user_new')));
  (async () => {
    const [units, depts] = await places;
    create.append(form({ id: 'user-form' }, [
      field(t('user_username'), h('input', { name: 'username', required: true, maxlength: 64, pattern: '[a-z0-9][a-z0-9._-]{1,63}', autocomplete: 'off' })),
      field(t('user_display'), h('input', { name: 'display_name', required: true, maxlength: 128 })),
      ...placeFields(units, depts, { role: 'community_secretary' }),
    ], t('user_new'), async (d, f) => {
      const body = { username: String(d.get('username')).trim(), display_name: String(d.get('display_name')).trim(), role: d.get('role') };
      if (d.get('role') === 'clerk') body.department_id = d.get('department_id');
      else body.org_unit_id = d.get('org_unit_id');
      await post('/admin/users', body);
      f.reset();
      create.open = false;
      reload();
    }));
  })();
  reload();
  return page('users_title', 'users_hint', create, search, body);
}

// placeFields are the role, unit and department of a user, preset to u.
function placeFields(units, depts, u) {
  return [
    field(t('user_role'), select('role', ROLES.map((r) => [r, label('role', r)]), u.role)),
    field(t('user_unit'), select('org_unit_id', [['', '—'], ...(units.items || []).map((x) => [x.id, '　'.repeat(Math.max(0, x.depth - 1)) + pickName(x)])], u.department_id ? '' : u.org_unit_id || '')),
    field(t('user_dept'), select('department_id', [['', '—'], ...(depts.items || []).map((d) => [d.id, pickName(d)])], u.department_id || '')),
  ];
}

function userCard(u, reload, places) {
  const box = errorBox();
  // 改任: another role or place, with the rules of creation.
  const move = h('div', { class: 'move-user' });
  places.then(([units, depts]) => move.append(form({ class: 'inline-form move-form' }, placeFields(units, depts, u), t('user_move'), async (d) => {
    const role = String(d.get('role'));
    if (!(await confirmed(t('user_move_confirm', u.display_name, label('role', role))))) return;
    const body = { role };
    if (role === 'clerk') body.department_id = String(d.get('department_id'));
    else body.org_unit_id = String(d.get('org_unit_id'));
    await request('PATCH', '/admin/users/' + encodeURIComponent(u.id), body);
    reload();
  }))).catch(() => {});
  const note = h('p', { class: 'muted', hidden: true });
  const toggle = button(u.active ? t('user_disable') : t('user_enable'), box, async () => {
    if (u.active && !(await confirmed(t('user_disable_confirm', u.display_name)))) return;
    await request('PATCH', '/admin/users/' + encodeURIComponent(u.id), { active: !u.active });
    reload();
  }, { 'data-action': 'toggle' });
  const unlock = button(t('user_unlock'), box, async () => {
    await post('/admin/users/' + encodeURIComponent(u.id) + '/unlock');
    note.textContent = t('user_unlock_done'); note.hidden = false;
  }, { 'data-action': 'unlock' });
  const reset = form({ class: 'inline-form reset-form' }, [
    field(t('user_new_password'), h('input', { name: 'password', type: 'password', required: true, minlength: 10, maxlength: 128, autocomplete: 'new-password' })),
  ], t('user_reset'), async (d, f) => {
    await post('/admin/users/' + encodeURIComponent(u.id) + '/reset-password', { password: String(d.get('password')) });
    f.reset();
    note.textContent = t('user_reset_done'); note.hidden = false;
  });
  return h('li', { class: 'card user', 'data-username': u.username },
    h('div', { class: 'case-card-head' }, h('h3', {}, u.display_name, ' ', h('code', { translate: 'no' }, u.username)),
      h('div', { class: 'badges' }, h('span', { class: 'badge' }, label('role', u.role)), u.active ? null : h('span', { class: 'badge late' }, t('user_inactive')))),
    h('p', { class: 'muted meta' }, h('code', { translate: 'no' }, u.department_id || u.org_unit_id)),
    h('details', { class: 'more' }, h('summary', {}, t('edit')), reset, move, h('div', { class: 'form-actions' }, toggle, unlock)),
    note, box);
}

// ---- API tokens ----

export function tokensView() {
  const body = h('div', { id: 'tokens' });
  const shown = h('div', { id: 'token-shown' });
  let revoked = false;
  const reload = () => load(body, async () => {
    const res = await get('/admin/tokens' + query({ revoked: revoked || undefined, page_size: 200 }));
    const items = res.items || [];
    return items.length ? h('ul', { class: 'cards', id: 'token-list' }, items.map((tk) => tokenCard(tk, reload))) : h('p', { class: 'empty' }, t('none'));
  });
  const create = h('details', { class: 'card more', id: 'token-new' }, h('summary', {}, '＋ ' + t('token_new')));
  (async () => {
    const users = await get('/admin/users?page_size=200&active=true');
    const later = new Date(Date.now() + 90 * 864e5 + 8 * 3600e3).toISOString().slice(0, 10);
    create.append(form({ id: 'token-form' }, [
      field(t('token_user'), select('user_id', (users.items || []).map((u) => [u.id, `${u.display_name}（${u.username}）`]), '', { translate: 'no' })),
      field(t('token_name'), h('input', { name: 'name', required: true, maxlength: 64 })),
      field(t('token_expires'), h('input', { name: 'expires', type: 'date', required: true, value: later })),
    ], t('token_new'), async (d, f) => {
      // The end of the chosen day, Beijing time.
      const expires = new Date(`${d.get('expires')}T23:59:00+08:00`).toISOString();
      const tk = await post('/admin/tokens', { user_id: d.get('user_id'), name: String(d.get('name')).trim(), expires_at: expires });
      shown.replaceChildren(h('div', { class: 'card notice' }, h('p', {}, t('token_shown_once')), h('code', { class: 'token-secret', translate: 'no' }, tk.token)));
      f.reset();
      f.querySelector('input[name="expires"]').value = later;
      reload();
    }));
  })();
  const toggle = h('label', { class: 'check' }, h('input', { type: 'checkbox', onchange: (e) => { revoked = e.target.checked; reload(); } }), ' ', t('token_show_revoked'));
  reload();
  return page('tokens_title', 'tokens_hint', create, shown, toggle, body);
}

function tokenCard(tk, reload) {
  const box = errorBox();
  const expired = new Date(tk.expires_at) < new Date();
  return h('li', { class: 'card token', 'data-id': tk.id, 'data-name': tk.name },
    h('div', { class: 'case-card-head' }, h('h3', {}, tk.name),
      h('div', { class: 'badges' }, tk.revoked_at ? h('span', { class: 'badge' }, t('token_revoked')) : expired ? h('span', { class: 'badge late' }, t('token_expired')) : null)),
    h('dl', { class: 'facts compact' },
      h('dt', {}, t('token_user')), h('dd', {}, h('code', { translate: 'no' }, tk.username)),
      h('dt', {}, t('token_created')), h('dd', {}, fmtTime(tk.created_at)),
      h('dt', {}, t('token_expires')), h('dd', {}, fmtTime(tk.expires_at)),
      h('dt', {}, t('token_last_used')), h('dd', { class: 'last-used' }, tk.last_used_at ? fmtTime(tk.last_used_at) : t('token_never_used'))),
    tk.revoked_at ? null : h('div', { class: 'form-actions' }, button(t('token_revoke'), box, async () => {
      if (!(await confirmed(t('token_revoke_confirm', tk.name)))) return;
      await request('DELETE', '/admin/tokens/' + encodeURIComponent(tk.id));
      reload();
    }, { class: 'btn btn-small btn-danger', 'data-action': 'revoke' })),
    box);
}

// ---- the whistle catalogue ----

export function catalogueView() {
  const body = h('div', { id: 'catalogue' });
  const reload = () => load(body, async () => {
    const res = await get('/admin/catalogue');
    return [
      h('details', { class: 'card more', id: 'cat-new' }, h('summary', {}, '＋ ' + t('cat_new')), catalogueForm(null, reload)),
      h('ul', { class: 'cards', id: 'cat-list' }, (res.items || []).map((it) => h('li', { class: 'card cat-item', 'data-id': it.id },
        h('div', { class: 'case-card-head' }, h('h3', {}, pickName(it)),
          h('div', { class: 'badges' }, h('span', { class: 'badge' }, it.category), h('span', { class: 'badge' }, label('class', it.default_class)),
            it.active ? null : h('span', { class: 'badge' }, t('cat_inactive')))),
        h('p', { class: 'muted meta' }, it.levels.map((l) => label('level', l)).join('、'), ' · ', h('code', { translate: 'no' }, it.department_kinds.join(', '))),
        h('details', { class: 'more' }, h('summary', {}, t('edit')), catalogueForm(it, reload))))),
    ];
  });
  reload();
  return page('catalogue_title', 'catalogue_hint', body);
}

function catalogueForm(it, reload) {
  const levels = h('div', { class: 'checks' }, LEVELS.map((l) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'levels', value: l, checked: it ? it.levels.includes(l) : l === 'community' }), ' ', label('level', l))));
  const f = form({ class: 'cat-form' }, [
    it ? null : field(t('cat_id'), h('input', { name: 'id', required: true, maxlength: 40, pattern: '[A-Za-z0-9_-]+' })),
    field(t('cat_name'), h('input', { name: 'name', required: true, maxlength: 128, value: it?.name || '' })),
    field(t('cat_category'), h('input', { name: 'category', required: true, maxlength: 64, value: it?.category || '' })),
    field(t('cat_class'), select('default_class', CLASSES.map((c) => [c, label('class', c)]), it?.default_class || 'routine')),
    field(t('cat_kinds'), h('input', { name: 'department_kinds', required: true, maxlength: 255, value: it ? it.department_kinds.join(', ') : '' })),
    field(t('cat_levels'), levels),
    it ? h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'active', checked: it.active }), ' ', t('cat_active')) : null,
  ], t('save'), async (d) => {
    const body = { name: String(d.get('name')).trim(), category: String(d.get('category')).trim(), default_class: d.get('default_class'),
      department_kinds: String(d.get('department_kinds')).split(/[,，、\s]+/).filter(Boolean), levels: d.getAll('levels') };
    if (it) {
      body.active = d.get('active') === 'on';
      await request('PATCH', '/admin/catalogue/' + encodeURIComponent(it.id), body);
    } else {
      await post('/admin/catalogue', { id: String(d.get('id')).trim(), ...body });
    }
    reload();
  });
  f.confirmText = (d) => t('cat_confirm', String(d.get('name')).trim());
  return f;
}

// ---- the working calendar ----

export function calendarView() {
  const body = h('div', { id: 'calendar' });
  const now = new Date(Date.now() + 8 * 3600e3).getUTCFullYear();
  let year = now;
  const years = select('year', [now - 1, now, now + 1, now + 2].map((y) => [String(y), String(y)]), String(year), { id: 'cal-year' });
  years.addEventListener('change', () => { year = Number(years.value); reload(); });
  const reload = () => load(body, async () => {
    const res = await get('/admin/calendar?year=' + year);
    const box = errorBox();
    return [
      box,
      (res.items || []).length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'cal-list' },
        h('thead', {}, h('tr', {}, h('th', {}, t('cal_date')), h('th', {}, t('cal_kind')), h('th', {}, t('cal_name')), h('th', {}))),
        h('tbody', {}, res.items.map((d) => h('tr', { 'data-date': d.date },
          h('td', {}, fmtDate(d.date), ' ', label('weekday', d.weekday)), h('td', {}, label('cal_kind', d.kind)), h('td', {}, d.name),
          h('td', {}, button(t('delete'), box, async () => {
            if (!(await confirmed(t('cal_delete_confirm', fmtDate(d.date), d.name)))) return;
            await request('DELETE', '/admin/calendar/' + d.date);
            reload();
          }, { class: 'btn btn-small btn-danger' }))))))) : h('p', { class: 'empty' }, t('none')),
    ];
  });
  const add = form({ id: 'cal-form', class: 'inline-form' }, [
    field(t('cal_date'), h('input', { name: 'date', type: 'date', required: true })),
    field(t('cal_kind'), select('kind', [['holiday', label('cal_kind', 'holiday')], ['workday', label('cal_kind', 'workday')]], 'holiday')),
    field(t('cal_name'), h('input', { name: 'name', required: true, maxlength: 64 })),
  ], t('cal_add'), async (d) => {
    await put('/admin/calendar/' + d.get('date'), { kind: d.get('kind'), name: String(d.get('name')).trim() });
    year = Number(String(d.get('date')).slice(0, 4));
    years.value = String(year);
    reload();
  });
  add.confirmText = (d) => t('cal_confirm', fmtDate(String(d.get('date'))), label('cal_kind', d.get('kind')));
  reload();
  return page('calendar_title', 'calendar_hint', h('div', { class: 'card' }, add), field(t('cal_year'), years), body);
}

// fmtDate shows 2027-02-11 as 2027年2月11日 (2027-02-11 in English).
function fmtDate(s) {
  const [y, m, d] = String(s).split('-').map(Number);
  if (!y || !m || !d) return s;
  return document.documentElement.lang === 'en' ? s : `${y}年${m}月${d}日`;
}

// ---- policy rules ----

export function rulesView() {
  const body = h('div', { id: 'rules' });
  const reload = () => load(body, async () => {
    const res = await get('/admin/policy-rules');
    const box = errorBox();
    const add = form({ id: 'rule-form', class: 'inline-form' }, [
      field(t('rule_role'), select('role', (res.roles || []).map((r) => [r, label('role', r)]), '')),
      field(t('rule_action'), select('action', (res.actions || []).map((a) => [a, a]), '', { translate: 'no' })),
      field(t('rule_relation'), select('relation', (res.relations || []).map((r) => [r, label('relation', r)]), '', { translate: 'no' })),
      field(t('rule_name'), h('input', { name: 'name', required: true, maxlength: 128, translate: 'no' })),
    ], t('rule_add'), async (d) => {
      await post('/admin/policy-rules', { role: d.get('role'), action: d.get('action'), relation: d.get('relation'), name: String(d.get('name')).trim() });
      reload();
    });
    add.confirmText = t('rule_confirm');
    return [h('details', { class: 'card more' }, h('summary', {}, '＋ ' + t('rule_add')), add), box,
      h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'rule-list' },
        h('thead', {}, h('tr', {}, h('th', {}, t('rule_role')), h('th', {}, t('rule_action')), h('th', {}, t('rule_relation')), h('th', {}, t('rule_name')), h('th', {}))),
        h('tbody', {}, (res.items || []).map((r) => h('tr', { 'data-id': r.id },
          h('td', {}, label('role', r.role)), h('td', {}, h('code', { translate: 'no' }, r.action)), h('td', {}, labelOrCode('relation', r.relation)),
          h('td', {}, h('code', { translate: 'no' }, r.name)),
          h('td', {}, button(t('delete'), box, async () => {
            if (!(await confirmed(t('rule_delete_confirm', r.name)))) return;
            await request('DELETE', '/admin/policy-rules/' + r.id);
            reload();
          }, { class: 'btn btn-small btn-danger' })))))))];
  });
  reload();
  return page('rules_title', 'rules_hint', body);
}

// ---- intake settings and escalation review ----

export function intakeSettingsView() {
  const body = h('div', { id: 'intake-settings' });
  const reload = () => load(body, async () => {
    const [res, ...reviews] = await Promise.all([get('/admin/intake-settings'), ...LEVELS.map((l) => get('/admin/escalation-review/' + l))]);
    const sources = h('ul', { class: 'cards' }, (res.items || []).map((s) => {
      const saved = h('span', { class: 'saved', hidden: true }, '✓ ' + t('saved'));
      const f = form({ class: 'inline-form', 'data-source': s.source }, [
        field(t('intake_accept_within'), h('input', { name: 'accept_within', value: s.accept_within, required: true, maxlength: 16, pattern: '[0-9hmsd.]+' })),
      ], t('save'), async (d) => {
        saved.hidden = true;
        await put('/admin/intake-settings/' + s.source, { accept_within: String(d.get('accept_within')).trim() });
        saved.hidden = false;
      }, [saved]);
      return h('li', { class: 'card' }, h('h3', {}, label('source', s.source), s.default ? h('span', { class: 'badge' }, t('intake_default')) : null), f);
    }));
    const box = errorBox();
    const review = h('ul', { class: 'cards' }, reviews.map((r) => {
      const cb = h('input', { type: 'checkbox', checked: r.review, 'data-level': r.level });
      cb.addEventListener('change', () => busy(cb, box, () => put('/admin/escalation-review/' + r.level, { review: cb.checked })));
      return h('li', { class: 'card' }, h('label', { class: 'check' }, cb, ' ', label('level', r.level), ' · ', t('review_on')),
        r.updated_by ? h('p', { class: 'muted' }, `${t('updated_by')} `, h('span', { translate: 'no' }, r.updated_by), ' · ', fmtTime(r.updated_at)) : null);
    }));
    return [sources, h('h2', {}, t('review_title')), box, review];
  });
  reload();
  return page('intake_title', 'intake_hint', body);
}

// ---- the annual assessment's settings ----

// assessmentSettingsView edits GET/PUT /supervision/assessment-settings: a
// year's weights (street, district, periodic) and the fewest cases to be
// ranked, or the defaults (year 0) of every year without its own. The
// bounds shown are the server's; it refuses anything outside them.
export function assessmentSettingsView() {
  const year = h('input', { type: 'number', name: 'year', id: 'assessment-year', value: new Date().getFullYear(), min: 2000, max: 2100, inputmode: 'numeric' });
  const body = h('div', { id: 'assessment-settings' });
  const reload = () => load(body, async () => {
    const y = Number(year.value);
    const s = await get('/supervision/assessment-settings' + query({ year: y }));
    const saved = h('span', { class: 'saved', hidden: true }, '✓ ' + t('saved'));
    // A weight shows at most four decimals (1/3 reads 0.3333); one left as
    // shown is sent back exact, so saving another field keeps it.
    const shown = {};
    const weight = (name, v, min, max) => {
      shown[name] = [String(Number(v.toFixed(4))), v];
      return h('input', { name, type: 'number', value: shown[name][0], min, max, step: 'any', required: true, inputmode: 'decimal' });
    };
    const asDefault = h('input', { type: 'checkbox', name: 'as_default' });
    const f = form({ id: 'assessment-settings-form' }, [
      s.year !== y ? h('p', { class: 'muted', id: 'assessment-from-default' }, t('asmt_from_default')) : null,
      field(t('asmt_street_weight'), weight('street_weight', s.street_weight, s.min_street_weight, 1), t('asmt_weight_range', s.min_street_weight, 1)),
      field(t('asmt_district_weight'), weight('district_weight', s.district_weight, s.min_street_weight, 1), t('asmt_weight_range', s.min_street_weight, 1)),
      field(t('asmt_periodic_weight'), weight('periodic_weight', s.periodic_weight, s.min_periodic_weight, s.max_periodic_weight),
        t('asmt_periodic_hint', s.min_periodic_weight, s.max_periodic_weight)),
      field(t('asmt_min_cases'), h('input', { name: 'min_cases', type: 'number', value: s.min_cases, min: 0, max: 1000000, step: 1, required: true, inputmode: 'numeric' })),
      h('label', { class: 'check' }, asDefault, ' ', t('asmt_as_default')),
    ], t('save'), async (d) => {
      saved.hidden = true;
      const n = (k) => {
        const v = String(d.get(k)).trim();
        return shown[k] && v === shown[k][0] ? shown[k][1] : Number(v);
      };
      await put('/supervision/assessment-settings', { year: asDefault.checked ? 0 : y, street_weight: n('street_weight'), district_weight: n('district_weight'),
        periodic_weight: n('periodic_weight'), min_cases: n('min_cases') });
      saved.hidden = false;
    }, [saved]);
    f.confirmText = () => t('asmt_confirm', asDefault.checked ? t('asmt_default_year') : y);
    return [f, s.updated_by ? h('p', { class: 'muted' }, `${t('updated_by')} `, h('span', { translate: 'no' }, s.updated_by)) : null];
  });
  year.addEventListener('change', reload);
  reload();
  return page('asmt_title', 'asmt_hint', h('div', { class: 'filters' }, field(t('year'), year)), body);
}

// ---- the audit log ----

const AUDIT_KINDS = ['org_unit', 'department', 'user', 'credential', 'api_token', 'catalogue_item', 'sla_policy', 'calendar', 'calendar_day', 'intake_setting', 'assessment_setting',
  'escalation_review', 'policy_rule', 'open311_client', 'hotline_system', 'channel', 'duty_roster', 'geo_area', 'signin', 'signout', 'password', 'unlock', 'token'];
const AUDIT_ACTIONS = ['create', 'update', 'delete', 'reset', 'unlock', 'revoke', 'replace'];
// Columns that change with every write: not worth a line of the diff.
const NOISE = new Set(['updated_at', 'created_at', 'updated_by']);

export function auditView() {
  const body = h('div', { id: 'audit' });
  let filters = {}, pg = 1;
  const reload = () => load(body, async () => {
    const res = await get('/admin/audit' + query({ ...filters, page: pg, page_size: 30 }));
    const items = res.items || [];
    return [items.length ? h('ul', { class: 'cards', id: 'audit-list' }, items.map(auditCard)) : h('p', { class: 'empty' }, t('none')),
      pager(res, (p) => { pg = p; reload(); })];
  });
  const f = form({ class: 'filters', id: 'audit-filters' }, [
    h('div', { class: 'row' },
      field(t('audit_category'), select('category', [['', t('all')], ['admin', label('audit_category', 'admin')], ['signin', label('audit_category', 'signin')]], '')),
      field(t('audit_kind'), select('kind', [['', t('all')], ...AUDIT_KINDS.map((k) => [k, label('audit_kind', k)])], '')),
      field(t('audit_action'), select('action', [['', t('all')], ...AUDIT_ACTIONS.map((a) => [a, label('audit_action', a)])], ''))),
    h('div', { class: 'row' },
      field(t('audit_actor'), h('input', { name: 'actor', maxlength: 64 })),
      field(t('audit_object'), h('input', { name: 'object', maxlength: 255 })),
      field(t('audit_from'), h('input', { name: 'from', type: 'date' })),
      field(t('audit_to'), h('input', { name: 'to', type: 'date' }))),
  ], t('filter'), async (d) => {
    filters = {};
    for (const k of ['category', 'kind', 'action', 'actor', 'object']) if (String(d.get(k) || '').trim()) filters[k] = String(d.get(k)).trim();
    // Whole days, Beijing time: "to" includes its day.
    if (d.get('from')) filters.from = new Date(`${d.get('from')}T00:00:00+08:00`).toISOString();
    if (d.get('to')) filters.to = new Date(new Date(`${d.get('to')}T00:00:00+08:00`).getTime() + 864e5).toISOString();
    pg = 1;
    reload();
  });
  reload();
  return page('audit_title', 'audit_hint', f, body);
}

function auditCard(a) {
  const head = a.category === 'admin'
    ? [label('audit_action', a.action), ' · ', label('audit_kind', a.kind), ' ', h('code', { translate: 'no' }, a.object_id)]
    : [label('audit_kind', a.kind), ' · ', label('audit_outcome', a.outcome), ' ', h('code', { translate: 'no' }, a.username)];
  return h('li', { class: 'card audit-line', 'data-category': a.category, 'data-kind': a.kind, 'data-action': a.action || a.outcome },
    h('div', { class: 'case-card-head' }, h('h3', {}, head), h('div', { class: 'badges' }, h('span', { class: 'badge' }, label('audit_category', a.category)))),
    h('p', { class: 'muted meta' }, fmtTime(a.at), ' · ', t('audit_actor'), t('colon'), h('span', { translate: 'no' }, a.actor || a.username || '—'),
      ' · ', t('audit_address'), t('colon'), h('span', { translate: 'no' }, a.address || '—'),
      a.request_id ? [' · ', t('audit_request'), t('colon'), h('code', { translate: 'no' }, a.request_id)] : null),
    a.category === 'admin' ? diffTable(a.before, a.after) : null);
}

// diffTable shows the fields that differ between before and after; a set
// (a year of the calendar, a duty roster) compares its rows by position.
function diffTable(before, after) {
  const rows = [];
  const add = (prefix, b, a) => {
    const keys = [...new Set([...Object.keys(b || {}), ...Object.keys(a || {})])].filter((k) => !NOISE.has(k));
    for (const k of keys) {
      const bv = b ? b[k] : undefined, av = a ? a[k] : undefined;
      if (JSON.stringify(bv) === JSON.stringify(av)) continue;
      const name = label('audit_col', k);
      rows.push(h('tr', { 'data-field': k }, h('th', {}, prefix, name === k ? h('code', { translate: 'no' }, k) : name), h('td', { class: 'before' }, show(k, bv)), h('td', { class: 'after' }, show(k, av))));
    }
  };
  if (Array.isArray(before) || Array.isArray(after)) {
    const n = Math.max(before?.length || 0, after?.length || 0);
    for (let i = 0; i < n; i++) add(`${i + 1}. `, before?.[i], after?.[i]);
  } else {
    add('', before, after);
  }
  if (!rows.length) return h('p', { class: 'muted' }, t('audit_no_change'));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table diff' },
    h('thead', {}, h('tr', {}, h('th', {}, t('audit_field')), h('th', {}, t('audit_before')), h('th', {}, t('audit_after')))),
    h('tbody', {}, rows)));
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

// Columns whose values are wire enums with labels of their own.
const ENUMS = { role: 'role', default_class: 'class', class: 'class', level: 'level', source: 'source' };

function show(k, v) {
  if (v === undefined || v === null || v === '') return '—';
  if (ENUMS[k] && typeof v === 'string') return labelOrCode(ENUMS[k], v);
  if (k === 'kind' && (v === 'holiday' || v === 'workday')) return label('cal_kind', v);
  if (k === 'kind' && ['city', 'district', 'street', 'community', 'grid'].includes(v)) return label('org_kind', v);
  if (typeof v === 'boolean') return v ? t('yes') : t('no');
  if (typeof v === 'string' && ISO.test(v)) return fmtTime(v);
  if (typeof v === 'object') return h('code', { translate: 'no' }, JSON.stringify(v));
  return h('span', { translate: 'no' }, String(v));
}
