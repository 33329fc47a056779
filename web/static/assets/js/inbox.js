// inbox.js — the department side: the inbox sorted by deadline, overdue
// in red, and the clerk's actions on a task: report for duty, feedback
// with evidence, return a misrouted task (the whistling level answers it:
// 退回待答复), ask for an extension within the task's limits. Tasks the
// holder dropped or the lead released leave the inbox; the lead
// department's task says so (主办).
import { get, query } from './api.js';
import { t, label } from './i18n.js';
import { h, field, select, badge, overdueBadge, clock, fmtTime, pager, load, linkify } from './ui.js';
import { WARNINGS, warningBadge, followupChanged } from './followup.js';
import { thumbnails, beforeAfter } from './photos.js';
import { clerkActions, supersededFeedback } from './taskforms.js';

// GONE are the statuses of a task the department no longer owes anything
// on, and that left its inbox: dropped by the holder, released by the lead.
const GONE = ['dropped', 'released'];

export function inboxView(ctx) {
  const state = { all: ctx.params.get('all') === 'true', warning: ctx.params.get('warning') || '', page: Number(ctx.params.get('page')) || 1 };
  const results = h('div', { id: 'inbox' });
  const reload = () => {
    ctx.setParams({ all: state.all, warning: state.warning, page: state.page > 1 ? state.page : '' });
    load(results, async () => {
      const list = await get('/tasks' + query({ status: state.all ? 'all' : 'active', warning: state.warning, page: state.page, page_size: 20 }));
      // The API sorts by the deadline worked against now; keep that order
      // but put overdue tasks first.
      const items = list.items.filter((x) => !GONE.includes(x.status))
        .sort((a, b) => (b.overdue - a.overdue) || (new Date(a.next_deadline) - new Date(b.next_deadline)));
      if (!items.length) return h('p', { class: 'empty' }, t('inbox_empty'));
      return [h('ul', { class: 'cards' }, items.map((task) => taskCard(task))), pager(list, (n) => { state.page = n; reload(); })];
    });
  };
  const toggle = h('input', { type: 'checkbox', id: 'show-done', checked: state.all });
  toggle.addEventListener('change', () => { state.all = toggle.checked; state.page = 1; reload(); });
  const warning = select('warning', [['', t('all')], ...WARNINGS.map((w) => [w, t('warning_' + w)])], state.warning, { id: 'warning-filter' });
  warning.addEventListener('change', () => { state.warning = warning.value; state.page = 1; reload(); });
  const refresh = h('button', { class: 'btn', type: 'button', onclick: reload }, '↻ ' + t('refresh'));
  const timer = setInterval(() => { if (!results.querySelector('form.open, details[open]')) reload(); }, 60000);
  ctx.onLeave(() => clearInterval(timer));
  reload();
  return h('div', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', {}, t('inbox_title')), refresh,
      // Appeals against the published numbers (appeals.js, issue 17).
      h('a', { class: 'btn', href: '/app/appeals', 'data-link': 'appeals' }, t('nav_appeals'))),
    h('div', { class: 'filters' }, field(t('filter_warning'), warning), h('label', { class: 'check' }, toggle, t('show_done'))),
    results);
}

// clockStatus is the status a task's clocks run on: a return awaiting the
// whistling level's answer keeps the clocks of the status it came from.
function clockStatus(tk) {
  return tk.status === 'return_requested' ? (tk.return_from || 'reported') : tk.status;
}

function taskCard(task) {
  const card = h('li', { class: 'card task-card' + (task.overdue ? ' is-late' : ''), 'data-task-id': task.id, 'data-case-id': task.case_id });
  const draw = (tk) => {
    const active = tk.status === 'summoned' || tk.status === 'reported';
    const running = clockStatus(tk);
    const ticking = running === 'summoned' || running === 'reported';
    const limits = tk.extension_limits || {};
    card.className = 'card task-card' + (tk.overdue ? ' is-late' : '');
    card.dataset.taskStatus = tk.status;
    card.dataset.warning = tk.warning || '';
    card.replaceChildren(...[
      h('div', { class: 'case-card-head' },
        h('h3', {}, h('a', { href: '/app/cases/' + encodeURIComponent(tk.case_id) }, tk.case_title || tk.case_id)),
        h('div', { class: 'badges' }, badge('task_status', tk.status), tk.lead ? h('span', { class: 'badge lead', 'data-role': 'lead' }, t('lead')) : null,
          tk.class ? badge('class', tk.class) : null, warningBadge(tk.warning), tk.overdue ? overdueBadge() : null,
          tk.reopened && tk.status !== 'done' ? h('span', { class: 'badge rework', 'data-role': 'rework' }, t('rework')) : null)),
      h('p', { class: 'muted meta' }, [tk.case_id, tk.address, tk.case_status ? label('case_status', tk.case_status) : ''].filter(Boolean).join(' · ')),
      tk.case_description ? h('p', { class: 'description case-description' }, linkify(tk.case_description)) : null,
      tk.filed_by ? h('p', { class: 'muted filed-by' }, t('filed_by'), t('colon'), h('span', { translate: 'no' }, tk.filed_by)) : null,
      h('dl', { class: 'facts compact' },
        h('dt', {}, running === 'summoned' ? t('report_deadline') : t('handle_deadline')),
        h('dd', {}, ticking ? clock(running === 'summoned' ? tk.report_deadline : tk.handle_deadline, { overdue: tk.overdue })
          : fmtTime(tk.handle_deadline)),
        tk.extension ? [h('dt', {}, t('ask_extension')), h('dd', {}, `${fmtTime(tk.extension.until)} · ${t('extension_' + tk.extension.status)}`,
          limits.count ? h('small', { class: 'muted' }, ' · ' + t('extension_count', tk.extensions || 0, limits.count)) : null)] : null,
        tk.return_reason && (tk.status === 'return_requested' || tk.status === 'returned') ? [h('dt', {}, t('returned_reason')), h('dd', {}, tk.return_reason)] : null,
        tk.return_answer ? [h('dt', {}, t('return_answer')), h('dd', {}, tk.return_answer)] : null,
        tk.urges ? [h('dt', {}, t('urges')), h('dd', { class: 'urges' }, t('urged_times', tk.urges), tk.last_urged_at ? h('small', { class: 'muted' }, ' · ' + t('last_urged', fmtTime(tk.last_urged_at))) : null)] : null),
      tk.status === 'return_requested' ? h('p', { class: 'notice return-waiting' }, t('return_waiting')) : null,
      thumbnails(tk.case_photos, { class: 'thumbs case-photos' }),
      tk.feedback ? h('div', { class: 'feedback' + (supersededFeedback(tk) ? ' superseded' : '') },
        supersededFeedback(tk) ? h('span', { class: 'badge superseded-badge' }, t('feedback_superseded')) : null,
        h('b', {}, t('feedback') + t('colon')), linkify(tk.feedback.result),
        beforeAfter(tk.feedback.before_files, tk.feedback.evidence_files)) : null,
      active ? clerkActions(tk, (updated) => { draw({ ...tk, ...updated }); followupChanged(); }) : null].filter(Boolean));
  };
  draw(task);
  return card;
}
