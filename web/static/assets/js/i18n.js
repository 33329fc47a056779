// i18n.js — Chinese first, English on request. t(key, ...args) fills {0}, {1}…
// The API's own messages follow Accept-Language, which api.js sends from lang().

const zh = {
  brand: '哨报',
  signin: '登录', signout: '退出', lang_switch: 'EN',
  signin_title: '登录哨报',
  signin_lead: '街乡吹哨、部门报到：吹哨、报到、处置、反馈、核查、评价、结案，全程留痕。',
  token: '令牌（Bearer token）', token_ph: '粘贴令牌',
  token_hint: '演示环境中，在项目目录运行下面的命令获取令牌（把 c1-secretary 换成其他演示用户名）：',
  token_users: '演示用户：c1-secretary（社区书记）、s1-secretary（街道书记）、s1-police / s1-citymgmt（部门内勤）、d1-supervisor（督查）、admin（管理员）。',
  session_expired: '登录已失效，请重新登录。',
  network_error: '网络错误，无法连接服务器。',
  unexpected: '服务器返回了无法识别的应答（HTTP {0}）。',
  not_built: '此功能的接口尚未上线：',
  loading: '加载中…', refresh: '刷新', retry: '重试', cancel: '取消', submit: '提交', save: '保存', saved: '已保存',
  none: '暂无', prev: '上一页', next: '下一页', page_of: '第 {0} / {1} 页，共 {2} 条',
  all: '全部', yes: '是', no: '否', back: '返回', colon: '：',

  nav_cases: '我的案件', nav_new: '发起吹哨', nav_inbox: '部门待办', nav_supervision: '督查', nav_admin: 'SLA 策略', nav_all_cases: '案件',

  // case list
  cases_title: '我的案件', filter_status: '状态', filter_class: '哨类', filter_overdue: '超时', filter_q: '搜索',
  only_overdue: '仅超时', q_ph: '标题、描述或地址', filter: '筛选',
  no_cases: '还没有案件。', new_case: '发起吹哨',
  // new case
  new_title: '发起吹哨', catalogue: '吹哨事项', catalogue_pick: '选择事项（可选）', class: '哨类',
  departments: '吹哨部门', departments_hint: '可多选（联合吹哨）；标“建议”的与所选事项对应。', suggested: '建议',
  no_departments: '没有可吹哨的部门。',
  title: '标题', description: '问题描述', source: '来源', address: '地址', lat: '纬度', lon: '经度', grid_id: '网格编号（可选）',
  photo: '照片链接（可选）', photo_ph: 'https://…/photo.jpg', photo_label: '照片', locate: '使用当前位置', locate_failed: '无法获取位置：{0}',
  whistle: '吹哨', pick_department: '请至少选择一个部门。', need_lat_lon: '请填写经纬度。',
  clocks: '报到 {0}，办结 {1}',
  // case page
  case_no: '案件编号', status: '状态', level: '层级', overdue: '超时', category: '类别', location: '位置', filed_by: '发起人', created_at: '发起时间',
  tasks: '部门任务', department: '部门', report_deadline: '报到期限', handle_deadline: '办结期限', task_status: '任务状态',
  remaining: '剩余 {0}', overdue_by: '超时 {0}', reported_at: '报到于 {0}', done_at: '办结于 {0}',
  feedback: '处置反馈', result: '处置结果', notes: '说明', evidence: '证据链接', evidence_hint: '每行一个链接',
  returned_reason: '退回理由', rerouted: '已改派',
  escalations: '升级记录', evaluations: '评价', breaches: '超时记录', timeline: '全程记录',
  esc_line: '{0} → {1}', by: '{0}',
  actions: '办理',
  verify_title: '核查验证', verify_passed: '核查通过', verify_failed: '不通过，退回重办', comment: '意见',
  evaluate_title: '一哨一评：{0}', timeliness: '及时性', quality: '质量', attitude: '态度', satisfaction: '居民满意度', evaluate: '提交评价',
  escalate_title: '本级无法解决，向上升级', reason: '理由', escalate: '升级',
  reroute_title: '改派被退回的任务（{0}）', reroute: '改派',
  summon_title: '增派部门', summon: '吹哨增派',
  extension_title: '{0} 申请延期至 {1}', grant: '同意延期', refuse: '不同意',
  evaluation_due: '评价截止 {0}', verify_failures: '核查未通过 {0} 次', default_eval: '默认评价',
  view_case: '查看案件', held_above: '案件现由{0}一级办理（吹哨、改派、升级由该级操作）。',
  // inbox
  inbox_title: '部门待办', inbox_empty: '没有待办任务。', show_done: '含已办结、已退回',
  next_deadline: '当前期限', report: '报到', give_feedback: '反馈结果', return_task: '退回', ask_extension: '申请延期',
  return_title: '退回（非本部门职责）', extension_ask_title: '申请延期', extra: '延长时长（如 2d、4h）', until: '或延至（日期时间）',
  need_extra_or_until: '请填写延长时长或新的期限（二选一）。',
  extension_pending: '延期申请待答复', extension_granted: '延期已同意', extension_refused: '延期未同意',
  // supervision
  sup_title: '督查', sup_breaches: '超时预警', sup_escalations: '升级记录', sup_rates: '六率', sup_assessments: '年度考核',
  auto_refresh: '每 30 秒自动刷新', updated_at: '更新于 {0}',
  kind: '类型', at: '时间', deadline: '期限', resolved: '已解决', from: '从', to: '到', group: '分组',
  group_department: '按部门', group_street: '按街道', group_district: '按区',
  rate: '指标', show: '查询', year: '年度', rank: '排名', score: '得分', name: '名称',
  export_csv: '导出 CSV', export_xlsx: '导出 Excel', exports: '导出',
  chart_none: '没有可画的时间序列。', cases: '案件数', published: '已发布',
  street_score: '街乡评价', performance_score: '履职得分', assessment_meta: '{0} 年度 · 街乡评价权重 {1} · 参与排名至少 {2} 件', as_of: '截至 {0}',
  'unranked.too_few_cases': '案件数不足，不参与排名', 'unranked.no_street_evaluations': '无街乡评价，不参与排名',
  // admin
  admin_title: 'SLA 策略', admin_hint: '修改只对修改后被吹哨的部门生效。时长写法：30m、2h、3d（d 为天）。',
  report_within: '报到时限', handle_within: '办结时限', evaluate_within: '评价时限', default_satisfaction: '默认满意度',
  working_time: '工作时间', wall_clock: '自然时间', updated_by: '修改人', clock: '计时', all_levels: '全部层级',

  'case_status.open': '办理中', 'case_status.verifying': '待核查', 'case_status.evaluating': '待评价', 'case_status.closed': '已结案',
  'task_status.summoned': '待报到', 'task_status.reported': '已报到', 'task_status.done': '已办结', 'task_status.returned': '已退回',
  'class.emergency': '应急哨', 'class.key': '重点哨', 'class.routine': '常规哨', 'class.coordination': '协调哨',
  'level.community': '社区', 'level.street': '街道', 'level.district': '区', 'level.city': '市',
  'source.grid': '网格巡查', 'source.hotline': '12345 热线', 'source.resident': '居民反映', 'source.community': '社区发现', 'source.property': '物业纠纷', 'source.escalation': '下级上报',
  'satisfaction.satisfied': '满意', 'satisfaction.basically_satisfied': '基本满意', 'satisfaction.dissatisfied': '不满意',
  'role.admin': '管理员', 'role.commander': '指挥中心', 'role.street_secretary': '街道书记', 'role.community_secretary': '社区书记', 'role.grid_worker': '网格员', 'role.clerk': '部门内勤', 'role.supervisor': '督查',
  'breach.report': '未按时报到', 'breach.handle': '未按时办结',
  'esc.requested': '本级无法解决', 'esc.handle_breach': '处置超时', 'esc.verification': '多次核查不通过',
  'event.filed': '发起案件', 'event.summoned': '吹哨', 'event.reported': '部门报到', 'event.feedback': '处置反馈', 'event.returned': '部门退回',
  'event.extension_requested': '申请延期', 'event.extension_granted': '同意延期', 'event.extension_refused': '不同意延期',
  'event.report_breach': '报到超时', 'event.handle_breach': '办结超时', 'event.escalated': '升级', 'event.verified': '核查通过',
  'event.verification_failed': '核查未通过', 'event.evaluated': '评价', 'event.evaluation_defaulted': '默认评价', 'event.closed': '结案',
  'event.rerouted': '改派', 'event.awaiting_verification': '全部办结，待核查', 'event.reopened': '重新办理',
  'rate.response_rate': '响应率', 'rate.resolution_rate': '解决率', 'rate.satisfaction_rate': '满意率', 'rate.on_time_rate': '按期结案率',
  'rate.on_time_closure_rate': '按期结案率', 'rate.rework_rate': '返工率', 'rate.extension_rate': '延期率',
  'clock.working': '工作时间计时', 'clock.wall': '自然时间计时',
  'unit.d': '天', 'unit.h': '小时', 'unit.m': '分钟',

  // intake (受理) and duplicates (并案)
  nav_intake: '受理台', intake_count: '{0} 件待受理',
  intake_title: '受理台', intake_lead: '未指定部门的案件在此等待本级受理：受理并吹哨、不予受理（须说明理由）或并入已有案件。最早的在前。',
  intake_empty: '没有待受理的案件。', intake_q_ph: '标题、描述、地址或案件编号', only_accept_overdue: '仅受理超时',
  accept_overdue: '受理超时', accept_deadline: '受理期限',
  accept: '受理', reject: '不予受理', merge: '并案',
  accept_title: '受理并吹哨', accept_hint: '选择要吹哨的部门（可多选）。', accept_submit: '受理并吹哨',
  reject_title: '不予受理', reject_reason: '不予受理理由', reject_reason_ph: '如：不属于政府职责范围、信息不足无法核实', reject_submit: '确认不予受理',
  reject_reason_needed: '请填写不予受理的理由。',
  merge_title: '并入已有案件', merge_nearby: '附近同类的未结案件', merge_none_nearby: '附近没有同类的未结案件。',
  merge_other: '或填写案件编号 / ID', merge_other_hint: '如 20261202-00123；填写后以此为准。', merge_submit: '确认并案', merge_pick: '请选择或填写要并入的案件。',
  distance_m: '{0} 米',
  departments_optional: '吹哨部门（可选）', departments_pending_hint: '不选部门则案件以“待受理”提交，由本级指挥中心受理后吹哨。',
  category_hint: '选择事项后自动填写；用于提示附近的同类案件。', file_pending: '提交待受理',
  dup_title: '附近已有同类案件', dup_hint: '请先查看是否为同一问题，避免重复立案。',
  pending_notice: '案件待受理：由本级指挥中心在受理台受理、不予受理或并案。', to_intake: '前往受理台', merged_into: '已并入案件',
  'case_status.pending': '待受理',
  'outcome.resolved': '已办结', 'outcome.rejected': '不予受理', 'outcome.merged': '已并案',
  'event.accepted': '受理', 'event.rejected': '不予受理', 'event.merged': '并案', 'event.merged_in': '他案并入', 'event.accept_breach': '受理超时',
};

const en = {
  brand: 'Shaobao',
  signin: 'Sign in', signout: 'Sign out', lang_switch: '中文',
  signin_title: 'Sign in to Shaobao',
  signin_lead: 'The street blows the whistle, the departments report for duty: whistle, report, handle, feed back, verify, evaluate, close — every step on record.',
  token: 'Bearer token', token_ph: 'Paste a token',
  token_hint: 'In the demo, run this in the project folder to get a token (replace c1-secretary with another demo username):',
  token_users: 'Demo users: c1-secretary (community secretary), s1-secretary (street secretary), s1-police / s1-citymgmt (department clerks), d1-supervisor (supervisor), admin.',
  session_expired: 'Your session has expired; please sign in again.',
  network_error: 'Network error: the server cannot be reached.',
  unexpected: 'The server sent an answer the page does not understand (HTTP {0}).',
  not_built: 'This view\'s API is not available yet: ',
  loading: 'Loading…', refresh: 'Refresh', retry: 'Retry', cancel: 'Cancel', submit: 'Submit', save: 'Save', saved: 'Saved',
  none: 'None', prev: 'Previous', next: 'Next', page_of: 'Page {0} of {1}, {2} in all',
  all: 'All', yes: 'Yes', no: 'No', back: 'Back', colon: ': ',

  nav_cases: 'My cases', nav_new: 'Whistle', nav_inbox: 'Inbox', nav_supervision: 'Supervision', nav_admin: 'SLA policies', nav_all_cases: 'Cases',

  cases_title: 'My cases', filter_status: 'Status', filter_class: 'Class', filter_overdue: 'Overdue', filter_q: 'Search',
  only_overdue: 'Overdue only', q_ph: 'Title, description or address', filter: 'Filter',
  no_cases: 'No cases yet.', new_case: 'Blow a whistle',
  new_title: 'Blow a whistle', catalogue: 'Whistle item', catalogue_pick: 'Pick an item (optional)', class: 'Class',
  departments: 'Departments', departments_hint: 'Pick one or more (joint whistle); "suggested" ones match the item.', suggested: 'suggested',
  no_departments: 'No department you may whistle.',
  title: 'Title', description: 'Description', source: 'Source', address: 'Address', lat: 'Latitude', lon: 'Longitude', grid_id: 'Grid id (optional)',
  photo: 'Photo link (optional)', photo_ph: 'https://…/photo.jpg', photo_label: 'Photo', locate: 'Use my location', locate_failed: 'Cannot get the location: {0}',
  whistle: 'Whistle', pick_department: 'Pick at least one department.', need_lat_lon: 'Give the latitude and longitude.',
  clocks: 'report within {0}, handle within {1}',
  case_no: 'Case', status: 'Status', level: 'Level', overdue: 'Overdue', category: 'Category', location: 'Location', filed_by: 'Filed by', created_at: 'Filed',
  tasks: 'Department tasks', department: 'Department', report_deadline: 'Report by', handle_deadline: 'Handle by', task_status: 'Task status',
  remaining: '{0} left', overdue_by: 'overdue by {0}', reported_at: 'reported {0}', done_at: 'done {0}',
  feedback: 'Feedback', result: 'Result', notes: 'Notes', evidence: 'Evidence links', evidence_hint: 'one link per line',
  returned_reason: 'Return reason', rerouted: 'rerouted',
  escalations: 'Escalations', evaluations: 'Evaluations', breaches: 'Breaches', timeline: 'Timeline',
  esc_line: '{0} → {1}', by: '{0}',
  actions: 'Actions',
  verify_title: 'Verify the result', verify_passed: 'Passed', verify_failed: 'Failed: reopen the tasks', comment: 'Comment',
  evaluate_title: 'Evaluate: {0}', timeliness: 'Timeliness', quality: 'Quality', attitude: 'Attitude', satisfaction: 'Resident satisfaction', evaluate: 'Submit evaluation',
  escalate_title: 'Cannot resolve here: escalate one level', reason: 'Reason', escalate: 'Escalate',
  reroute_title: 'Re-route the returned task ({0})', reroute: 'Re-route',
  summon_title: 'Summon more departments', summon: 'Whistle',
  extension_title: '{0} asks to extend to {1}', grant: 'Grant', refuse: 'Refuse',
  evaluation_due: 'evaluation due {0}', verify_failures: 'failed verification {0} times', default_eval: 'default',
  view_case: 'View case', held_above: 'The case is now held at the {0} level, which whistles, re-routes and escalates.',
  inbox_title: 'Department inbox', inbox_empty: 'Nothing to do.', show_done: 'Include done and returned',
  next_deadline: 'Deadline', report: 'Report for duty', give_feedback: 'Give feedback', return_task: 'Return', ask_extension: 'Ask for more time',
  return_title: 'Return (not our job)', extension_ask_title: 'Ask for an extension', extra: 'Extra time (e.g. 2d, 4h)', until: 'or until (date and time)',
  need_extra_or_until: 'Give either the extra time or a new deadline.',
  extension_pending: 'extension pending', extension_granted: 'extension granted', extension_refused: 'extension refused',
  sup_title: 'Supervision', sup_breaches: 'SLA breaches', sup_escalations: 'Escalations', sup_rates: 'Rates', sup_assessments: 'Annual assessment',
  auto_refresh: 'refreshes every 30 s', updated_at: 'updated {0}',
  kind: 'Kind', at: 'At', deadline: 'Deadline', resolved: 'Resolved', from: 'From', to: 'To', group: 'Group',
  group_department: 'by department', group_street: 'by street', group_district: 'by district',
  rate: 'Rate', show: 'Show', year: 'Year', rank: 'Rank', score: 'Score', name: 'Name',
  export_csv: 'Export CSV', export_xlsx: 'Export Excel', exports: 'Export',
  chart_none: 'No time series to draw.', cases: 'Cases', published: 'published',
  street_score: 'Street score', performance_score: 'Performance', assessment_meta: '{0} · street weight {1} · ranked from {2} cases', as_of: 'as of {0}',
  'unranked.too_few_cases': 'too few cases to be ranked', 'unranked.no_street_evaluations': 'no street evaluation: not ranked',
  admin_title: 'SLA policies', admin_hint: 'A change applies to departments summoned after it. Spans: 30m, 2h, 3d (d = days).',
  report_within: 'Report within', handle_within: 'Handle within', evaluate_within: 'Evaluate within', default_satisfaction: 'Default satisfaction',
  working_time: 'working time', wall_clock: 'wall clock', updated_by: 'Changed by', clock: 'Clock', all_levels: 'all levels',

  'case_status.open': 'open', 'case_status.verifying': 'verifying', 'case_status.evaluating': 'evaluating', 'case_status.closed': 'closed',
  'task_status.summoned': 'summoned', 'task_status.reported': 'reported', 'task_status.done': 'done', 'task_status.returned': 'returned',
  'class.emergency': 'emergency', 'class.key': 'key', 'class.routine': 'routine', 'class.coordination': 'coordination',
  'level.community': 'community', 'level.street': 'street', 'level.district': 'district', 'level.city': 'city',
  'source.grid': 'grid patrol', 'source.hotline': '12345 hotline', 'source.resident': 'resident', 'source.community': 'community', 'source.property': 'property dispute', 'source.escalation': 'escalated from below',
  'satisfaction.satisfied': 'satisfied', 'satisfaction.basically_satisfied': 'basically satisfied', 'satisfaction.dissatisfied': 'dissatisfied',
  'role.admin': 'admin', 'role.commander': 'command centre', 'role.street_secretary': 'street secretary', 'role.community_secretary': 'community secretary', 'role.grid_worker': 'grid worker', 'role.clerk': 'department clerk', 'role.supervisor': 'supervisor',
  'breach.report': 'missed report-for-duty', 'breach.handle': 'missed handling deadline',
  'esc.requested': 'cannot resolve here', 'esc.handle_breach': 'handling overdue', 'esc.verification': 'repeated failed verification',
  'event.filed': 'filed', 'event.summoned': 'whistled', 'event.reported': 'reported for duty', 'event.feedback': 'feedback', 'event.returned': 'returned',
  'event.extension_requested': 'extension requested', 'event.extension_granted': 'extension granted', 'event.extension_refused': 'extension refused',
  'event.report_breach': 'report-for-duty overdue', 'event.handle_breach': 'handling overdue', 'event.escalated': 'escalated', 'event.verified': 'verified',
  'event.verification_failed': 'verification failed', 'event.evaluated': 'evaluated', 'event.evaluation_defaulted': 'default evaluation', 'event.closed': 'closed',
  'event.rerouted': 'rerouted', 'event.awaiting_verification': 'all done, awaiting verification', 'event.reopened': 'reopened',
  'rate.response_rate': 'response rate', 'rate.resolution_rate': 'resolution rate', 'rate.satisfaction_rate': 'satisfaction rate', 'rate.on_time_rate': 'on-time closure rate',
  'rate.on_time_closure_rate': 'on-time closure rate', 'rate.rework_rate': 'rework rate', 'rate.extension_rate': 'extension rate',
  'clock.working': 'working-time clock', 'clock.wall': 'wall clock',
  'unit.d': 'd', 'unit.h': 'h', 'unit.m': 'min',

  nav_intake: 'Intake', intake_count: '{0} pending',
  intake_title: 'Intake queue', intake_lead: 'Cases filed without departments wait here for this level to accept them: accept and whistle, reject (with a reason) or merge into an existing case. Oldest first.',
  intake_empty: 'No case awaits acceptance.', intake_q_ph: 'Title, description, address or case number', only_accept_overdue: 'Only past the acceptance deadline',
  accept_overdue: 'acceptance overdue', accept_deadline: 'Accept by',
  accept: 'Accept', reject: 'Reject', merge: 'Merge',
  accept_title: 'Accept and whistle', accept_hint: 'Pick the departments to whistle (one or more).', accept_submit: 'Accept and whistle',
  reject_title: 'Reject (not accepted)', reject_reason: 'Reason for rejecting', reject_reason_ph: 'e.g. not a government matter, not enough information to verify', reject_submit: 'Reject',
  reject_reason_needed: 'Give the reason for rejecting.',
  merge_title: 'Merge into an existing case', merge_nearby: 'Open cases of the same category nearby', merge_none_nearby: 'No open case of the same category nearby.',
  merge_other: 'Or type a case number / id', merge_other_hint: 'e.g. 20261202-00123; when given, it wins.', merge_submit: 'Merge', merge_pick: 'Pick or type the case to merge into.',
  distance_m: '{0} m',
  departments_optional: 'Departments (optional)', departments_pending_hint: 'With none, the case is filed pending, for the command centre of its level to accept and whistle.',
  category_hint: 'Filled from the item; used to hint at open cases of the same category nearby.', file_pending: 'File for acceptance',
  dup_title: 'Open cases of the same category nearby', dup_hint: 'Check whether it is the same problem before filing a second case.',
  pending_notice: 'Pending acceptance: the command centre of its level accepts, rejects or merges it from the intake queue.', to_intake: 'Open the intake queue', merged_into: 'merged into case',
  'case_status.pending': 'pending',
  'outcome.resolved': 'resolved', 'outcome.rejected': 'rejected', 'outcome.merged': 'merged',
  'event.accepted': 'accepted', 'event.rejected': 'rejected', 'event.merged': 'merged', 'event.merged_in': 'another case merged in', 'event.accept_breach': 'acceptance overdue',
};

export const dictionaries = { zh, en };

let current = localStorage.getItem('shaobao.lang') === 'en' ? 'en' : 'zh';

export function lang() { return current; }

export function setLang(l) {
  current = l === 'en' ? 'en' : 'zh';
  localStorage.setItem('shaobao.lang', current);
  document.documentElement.lang = current === 'en' ? 'en' : 'zh-CN';
}

// t looks a key up in the current language, falls back to Chinese, then to
// the key itself, so an unknown wire value still shows as itself.
export function t(key, ...args) {
  const s = dictionaries[current][key] ?? zh[key] ?? key;
  return s.replace(/\{(\d)\}/g, (_, i) => String(args[i] ?? ''));
}

// label translates a wire enum ("case_status", "open") or shows it as is.
export function label(kind, value) {
  if (value === undefined || value === null || value === '') return '';
  const key = `${kind}.${value}`;
  return dictionaries[current][key] ?? zh[key] ?? String(value);
}

// pickName chooses an entity's English name when English is on.
export function pickName(o) {
  if (!o) return '';
  return (current === 'en' && o.name_en) ? o.name_en : (o.name ?? '');
}

setLang(current);
