// inbox.js — the department side: the inbox sorted by deadline, overdue
// in red, and the clerk's actions on a task: report for duty, feedback
// with evidence, return a misrouted task (the whistling level answers it:
// 退回待答复), ask for an extension within the task's limits. Tasks the
// holder dropped or the lead released leave the inbox; the lead
// department's task says so (主办).
import { get, post, query } from './api.js';
import { t, label } from './i18n.js';
import { h, form, field, select, badge, overdueBadge, clock, fmtTime, pager, load, busy, errorBox, linkify } from './ui.js';
import { WARNINGS, warningBadge, followupChanged } from './followup.js';

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
    h('div', { class: 'page-head' }, h('h1', {}, t('inbox_title')), refresh),
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
          tk.class ? badge('class', tk.class) : null, warningBadge(tk.warning), tk.overdue ? overdueBadge() : null)),
      h('p', { class: 'muted meta' }, [tk.case_id, tk.address, tk.case_status ? label('case_status', tk.case_status) : ''].filter(Boolean).join(' · ')),
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
      tk.feedback ? h('p', { class: 'feedback' }, h('b', {}, t('feedback') + t('colon')), linkify(tk.feedback.result)) : null,
      active ? taskActions(tk, (updated) => { draw({ ...tk, ...updated }); followupChanged(); }) : null].filter(Boolean));
  };
  draw(task);
  return card;
}

// mayAskExtension: not while a request is pending, nor past the task's
// limits (its count, or its handling deadline: a task summoned before
// limits existed has none, and the API still takes a late request there).
function mayAskExtension(task) {
  if (task.extension?.status === 'pending') return false;
  const limits = task.extension_limits || {};
  if (!limits.count && !limits.cap) return true;
  if (limits.count && (task.extensions || 0) >= limits.count) return false;
  return new Date(task.handle_deadline) > Date.now();
}

// taskActions are the buttons of an active task; a form opens under them.
function taskActions(task, redraw) {
  const path = '/tasks/' + encodeURIComponent(task.id);
  const panel = h('div', { class: 'task-form' });
  const box = errorBox();
  const open = (f) => () => {
    const same = panel.firstChild && panel.firstChild.dataset.kind === f.dataset.kind;
    panel.replaceChildren(...(same ? [] : [f]));
    f.classList.add('open');
    f.querySelector('input, textarea')?.focus();
  };
  const buttons = [];
  if (task.status === 'summoned') {
    const report = h('button', { class: 'btn btn-primary', type: 'button', 'data-action': 'report' }, t('report'));
    report.addEventListener('click', () => busy(report, box, async () => redraw(await post(path + '/report', {}))));
    buttons.push(report);
  }
  if (task.status === 'reported') {
    buttons.push(h('button', { class: 'btn btn-primary', type: 'button', 'data-action': 'feedback', onclick: open(feedbackForm(path, redraw)) }, t('give_feedback')));
    if (mayAskExtension(task)) buttons.push(h('button', { class: 'btn', type: 'button', 'data-action': 'extension', onclick: open(extensionForm(path, redraw)) }, t('ask_extension')));
  }
  buttons.push(h('button', { class: 'btn', type: 'button', 'data-action': 'return', onclick: open(returnForm(path, redraw)) }, t('return_task')));
  return h('div', { class: 'task-actions' }, h('div', { class: 'form-actions' }, buttons), box, panel);
}

function feedbackForm(path, redraw) {
  const f = form({ class: 'feedback-form', 'data-kind': 'feedback' }, [
    field(t('result'), h('textarea', { name: 'result', rows: 2, required: true, maxlength: 2000 })),
    field(t('notes'), h('textarea', { name: 'notes', rows: 2, maxlength: 5000 })),
    field(t('evidence'), h('textarea', { name: 'evidence', rows: 2, placeholder: 'https://…' }), t('evidence_hint')),
  ], t('submit'), async (d) => {
    const evidence = String(d.get('evidence') || '').split(/\s+/).map((s) => s.trim()).filter(Boolean);
    redraw(await post(path + '/feedback', { result: String(d.get('result')).trim(), notes: String(d.get('notes')).trim(), evidence }));
  });
  return f;
}

function returnForm(path, redraw) {
  return form({ class: 'return-form', 'data-kind': 'return' }, [
    h('h3', {}, t('return_title')),
    field(t('reason'), h('textarea', { name: 'reason', rows: 2, required: true, maxlength: 2000 })),
  ], t('return_task'), async (d) => redraw(await post(path + '/return', { reason: String(d.get('reason')).trim() })));
}

function extensionForm(path, redraw) {
  return form({ class: 'extension-form', 'data-kind': 'extension' }, [
    h('h3', {}, t('extension_ask_title')),
    h('div', { class: 'row' },
      field(t('extra'), h('input', { name: 'extra', placeholder: '2d', maxlength: 16 })),
      field(t('until'), h('input', { name: 'until', type: 'datetime-local' }))),
    field(t('reason'), h('textarea', { name: 'reason', rows: 2, required: true, maxlength: 2000 })),
  ], t('submit'), async (d) => {
    const extra = String(d.get('extra') || '').trim();
    const until = String(d.get('until') || '');
    if (Boolean(extra) === Boolean(until)) throw new Error(t('need_extra_or_until'));
    const body = { reason: String(d.get('reason')).trim() };
    if (extra) body.extra = extra;
    else body.until = new Date(until.slice(0, 16) + ':00+08:00').toISOString(); // Beijing time, as every deadline is shown
    redraw(await post(path + '/extension', body));
  });
}
