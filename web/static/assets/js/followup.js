// followup.js — warn, urge, supervise (issue 14) on the pages: the warning
// badge of a task (预警), the caller's to-do list (待办) with its count in
// the top bar, urging a task's department (催办), supervision orders (督办)
// on the case page and their answers, and the in-app notifications behind
// the bell.
import { get, post, query, authHeaders } from './api.js';
import { t, label } from './i18n.js';
import { h, form, field, section, fmtTime, clock, pager, load, busy, errorBox } from './ui.js';

export const WARNINGS = ['yellow', 'red'];

// warningBadge shows a task's warning (黄色预警 / 红色预警); nothing without one.
export function warningBadge(w) {
  if (!WARNINGS.includes(w)) return null;
  return h('span', { class: 'badge warning-' + w, 'data-warning': w }, label('warning', w));
}

// ---- the top bar: the to-do count and the bell ----

const REFRESH_MS = 60000;
let top = null;
let signedIn = false;

// headerBadges draws the to-do count and the notification bell into the
// top bar (bar) for a signed-in user, and keeps them fresh: on every page,
// every minute, and when an action changes them (followupChanged).
export function headerBadges(bar, me) {
  if (!top) {
    const todoCount = h('span', { class: 'count', id: 'todo-count' }, '0');
    const unread = h('span', { class: 'count', id: 'unread-count', hidden: true });
    top = {
      todoCount, unread,
      todo: h('a', { class: 'top-link', id: 'todo-link', href: '/app/todo', 'data-link': true }, h('span', { class: 'top-label' }), todoCount),
      bell: h('a', { class: 'top-link bell', id: 'bell', href: '/app/notifications', 'data-link': true }, bellIcon(), unread),
    };
    bar.prepend(top.todo, top.bell);
    setInterval(refreshCounts, REFRESH_MS);
    window.addEventListener('followup-changed', refreshCounts);
  }
  signedIn = !!me;
  clearTimeout(soon);
  top.todo.hidden = top.bell.hidden = !me;
  top.todo.querySelector('.top-label').textContent = t('todo_short');
  top.todo.title = t('todo_title');
  top.bell.title = t('notifications_title');
  top.bell.setAttribute('aria-label', t('notifications_title'));
  // A render draws the bar more than once: count once, just after.
  if (me) soon = setTimeout(refreshCounts, 50);
}
let soon = 0;

// bellIcon is drawn, not an emoji: not every system has a font for 🔔.
function bellIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '22');
  svg.setAttribute('height', '22');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('d', 'M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2z');
  svg.append(path);
  return svg;
}

// followupChanged tells the top bar to count again after an action.
export function followupChanged() {
  window.dispatchEvent(new Event('followup-changed'));
}

let counting = 0;
async function refreshCounts() {
  if (!signedIn || !top) return;
  const mine = ++counting;
  const [todo, notes] = await Promise.all([quietGet('/todo'), quietGet('/notifications' + query({ page_size: 1 }))]);
  if (mine !== counting || !signedIn) return;
  if (todo) setTodoCount(todo.total);
  if (notes) setUnread(notes.unread_count);
}

// quietGet reads a count in the background: any failure, a 401 included,
// leaves the badge as it was. Signing out on an expired session is the
// page's own requests' job, not a background count's (which may race a
// sign-out).
async function quietGet(path) {
  try {
    const res = await fetch('/api/v1' + path, { headers: { ...authHeaders('GET'), Accept: 'application/json' }, credentials: 'same-origin' });
    return res.ok ? await res.json() : null;
  } catch {
    return null;
  }
}

function setTodoCount(n) {
  if (!top) return;
  top.todoCount.textContent = String(n || 0);
  top.todoCount.dataset.count = String(n || 0);
  top.todo.title = t('todo_count', n || 0);
}

function setUnread(n) {
  if (!top) return;
  top.unread.textContent = String(n || 0);
  top.unread.dataset.count = String(n || 0);
  top.unread.hidden = !n;
  top.bell.title = t('unread_count', n || 0);
}

// ---- 待办 ----

// withTodo puts the to-do list on a role's home page, under its heading.
export function withTodo(ctx, page) {
  const panel = todoPanel(ctx, { limit: 8 });
  const head = page.querySelector(':scope > .page-head, :scope > h1');
  if (head) head.after(panel);
  else page.prepend(panel);
  return page;
}

// todoView is the whole to-do list (/app/todo).
export function todoView(ctx) {
  return h('div', { class: 'page' }, h('h1', {}, t('todo_title')), todoPanel(ctx, {}));
}

// todoPanel lists what waits on the caller, the earliest deadline first,
// with the count of each kind; limit shows the first few and a link to all.
function todoPanel(ctx, { limit = 0 }) {
  const body = h('div', { class: 'todo-body' });
  const reload = () => load(body, async () => {
    const res = await get('/todo');
    setTodoCount(res.total);
    const items = res.items || [];
    if (!items.length) return h('p', { class: 'empty', id: 'todo-empty' }, t('todo_empty'));
    const shown = limit ? items.slice(0, limit) : items;
    return [
      h('p', { class: 'badges todo-counts' }, Object.entries(res.counts || {}).filter(([, n]) => n > 0)
        .map(([k, n]) => h('span', { class: 'badge', 'data-kind': k }, `${label('todo', k)} ${n}`))),
      h('ul', { class: 'todo-items' }, shown.map((it) => todoItem(ctx, it, () => { reload(); followupChanged(); }))),
      shown.length < items.length ? h('a', { href: '/app/todo', id: 'todo-more' }, t('todo_all', items.length)) : null,
    ];
  });
  reload();
  return h('section', { class: 'card todo', id: 'todo' },
    h('div', { class: 'page-head' }, h('h2', {}, t('todo_title')), h('button', { class: 'btn btn-small', type: 'button', onclick: reload }, '↻ ' + t('refresh'))),
    body);
}

function todoItem(ctx, it, changed) {
  const href = '/app/cases/' + encodeURIComponent(it.case_id);
  const li = h('li', { class: 'todo-item' + (it.warning === 'red' || overdue(it) ? ' is-late' : ''), 'data-kind': it.kind, 'data-case-id': it.case_id,
    'data-task-id': it.task_id || undefined, 'data-order-id': it.order_id || undefined },
  h('div', { class: 'todo-line' },
    h('span', { class: 'badge todo-kind' }, label('todo', it.kind)),
    h('a', { href, class: 'todo-case' }, h('code', {}, it.number || it.case_id), ' ', it.title || ''),
    warningBadge(it.warning)),
  h('div', { class: 'muted todo-deadline' }, it.deadline ? [t('deadline'), ' ', clock(it.deadline)] : t('no_deadline')));
  if (it.kind === 'supervision_order' && it.order_id && ctx.me.role === 'clerk') {
    const panel = h('div', {});
    const b = h('button', { class: 'btn btn-small', type: 'button', 'data-action': 'answer-order' }, t('order_answer'));
    b.addEventListener('click', () => {
      panel.replaceChildren(...(panel.firstChild ? [] : [answerForm(it.order_id, changed)]));
      panel.querySelector('textarea')?.focus();
    });
    li.append(h('div', { class: 'form-actions' }, b), panel);
  }
  return li;
}

function overdue(it) {
  return it.deadline && new Date(it.deadline) < Date.now();
}

// answerForm answers a supervision order for the clerk's department.
function answerForm(orderID, done) {
  return form({ class: 'subcard order-answer-form', 'data-order-id': orderID }, [
    field(t('order_answer_text'), h('textarea', { name: 'answer', rows: 2, required: true, maxlength: 5000 })),
  ], t('order_answer'), async (d) => {
    const res = await post('/supervision-orders/' + encodeURIComponent(orderID) + '/answer', { answer: String(d.get('answer')).trim() });
    followupChanged();
    await done(res);
  });
}

// ---- 催办 ----

const URGERS = ['commander', 'street_secretary', 'community_secretary'];
const OWES = ['summoned', 'reported', 'return_requested'];

// mayUrge: the holder's command centre or secretaries, or a supervisor,
// on a task that still owes work. The API decides; this hides a button
// that would be refused.
export function mayUrge(me, c, holder, task) {
  if (c.status !== 'open' || !OWES.includes(task.status)) return false;
  return me.role === 'supervisor' || (holder && URGERS.includes(me.role));
}

// urgeForm presses a task's department with a message; a second urge
// within the hour shows the API's refusal (429) under the form.
export function urgeForm(task, name, done) {
  return form({ class: 'subcard urge-form', 'data-kind': 'urge' }, [
    h('h3', {}, t('urge_title', name)),
    field(t('urge_message'), h('textarea', { name: 'message', rows: 2, required: true, maxlength: 2000 }), t('urge_hint')),
  ], t('urge'), async (d) => {
    try {
      await post('/tasks/' + encodeURIComponent(task.id) + '/urge', { message: String(d.get('message')).trim() });
    } catch (err) {
      // The refusal (429) says when the next urge is allowed: in the page's time format.
      err.message = withTimes(err.message);
      throw err;
    }
    followupChanged();
    await done(null);
  });
}

// urgeFacts says how often a task was urged, and when last.
export function urgeFacts(task) {
  if (!task.urges) return null;
  return [h('dt', {}, t('urges')), h('dd', { class: 'urges', 'data-urges': task.urges }, t('urged_times', task.urges),
    task.last_urged_at ? h('small', { class: 'muted' }, ' · ' + t('last_urged', fmtTime(task.last_urged_at))) : null)];
}

// ---- 督办 ----

const SUPERVISORS = ['supervisor', 'commander'];

// ordersSection shows a case's supervision orders with each named
// department's answer, the answer form for a clerk of a named department,
// and the order form for supervisors and command centres.
export function ordersSection(me, c, dn, done) {
  const orders = c.supervision_orders || [];
  const issuable = c.status !== 'closed' && c.status !== 'pending' && SUPERVISORS.includes(me.role);
  if (!orders.length && !issuable) return null;
  const list = orders.length ? h('ul', { class: 'plain orders', id: 'orders' }, orders.map((o) => orderItem(me, o, dn, done))) : null;
  const depts = [...new Set((c.tasks || []).filter((x) => x.status !== 'dropped').map((x) => x.department_id))];
  const issue = issuable && depts.length
    ? h('details', { class: 'more', id: 'supervise' }, h('summary', {}, t('order_new')), orderForm(c, depts, dn, done)) : null;
  return section(t('orders'), list, issue);
}

function orderItem(me, o, dn, done) {
  const open = (o.departments || []).some((d) => !d.answered_at);
  return h('li', { class: 'order', 'data-order-id': o.id },
    h('div', {}, h('b', {}, o.requirement), h('small', { class: 'muted' }, ` — ${o.issued_by || ''} ${fmtTime(o.issued_at)} · ${o.id}`)),
    h('div', {}, t('order_due'), ' ', clock(o.due, { active: open })),
    h('ul', { class: 'order-depts' }, (o.departments || []).map((d) => {
      const answerable = !d.answered_at && me.role === 'clerk' && me.department?.id === d.department_id;
      return h('li', { 'data-dept': d.department_id, 'data-status': orderStatus(d), class: d.breached && !d.answered_at ? 'late-text' : '' },
        h('b', {}, dn(d.department_id, d.department_name)), ' ', h('span', { class: 'badge order-' + orderStatus(d) }, t('order_' + orderStatus(d))),
        d.breached ? [' ', h('span', { class: 'badge late', 'data-breached': 'true' }, t('order_breached'))] : null,
        d.answer ? h('div', { class: 'order-answer' }, d.answer, h('small', { class: 'muted' }, ` — ${d.answered_by || ''} ${fmtTime(d.answered_at)}`)) : null,
        answerable ? answerForm(o.id, done) : null);
    })));
}

// orderStatus is a named department's part of an order: answered (on
// time), late (answered past due), overdue (not answered past due), open.
function orderStatus(d) {
  if (d.answered_at) return d.late ? 'late' : 'answered';
  return d.breached ? 'overdue' : 'open';
}

function orderForm(c, depts, dn, done) {
  return form({ class: 'order-form', id: 'order-form' }, [
    h('fieldset', { class: 'checks', id: 'order-depts' }, h('legend', {}, t('order_departments')),
      depts.map((id) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'department_ids', value: id }), dn(id)))),
    field(t('order_requirement'), h('textarea', { name: 'requirement', rows: 2, required: true, maxlength: 2000 })),
    field(t('order_due'), h('input', { name: 'due', type: 'datetime-local', required: true }), t('beijing_time')),
  ], t('order_issue'), async (d) => {
    const ids = d.getAll('department_ids').map(String);
    if (!ids.length) throw new Error(t('pick_department'));
    const due = String(d.get('due') || '');
    const res = await post('/cases/' + encodeURIComponent(c.id) + '/supervision-orders', {
      department_ids: ids, requirement: String(d.get('requirement')).trim(),
      due: new Date(due.slice(0, 16) + ':00+08:00').toISOString(), // Beijing time, as every deadline is shown
    });
    followupChanged();
    await done(res);
  });
}

// ---- the timeline's follow-up entries ----

const RFC3339 = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)/;

// withTimes shows the RFC 3339 times inside a server's text (a breach's
// detail, a notification) the way the page shows every time.
export function withTimes(text) {
  return String(text || '').replace(new RegExp(RFC3339.source, 'g'), (m) => fmtTime(m));
}

// followupDetail renders the detail of a follow-up timeline entry in the
// reader's language, its times like the rest of the page; null for the
// other entries.
export function followupDetail(e) {
  const d = String(e.detail || '');
  if (e.type === 'warning') {
    const [level, which, at] = d.split(' ');
    return [label('warning', level), ' · ', t(which === 'report' ? 'report_deadline' : 'handle_deadline'), ' ', fmtTime(at)];
  }
  if (e.type === 'supervision_ordered') {
    // "<id> <due>: <requirement>"
    const m = d.match(new RegExp('^(\\S+) (' + RFC3339.source + '): ([\\s\\S]*)$'));
    if (m) return [m[3], h('small', { class: 'muted' }, ` · ${t('order_due')} ${fmtTime(m[2])} · ${m[1]}`)];
  }
  if (e.type === 'supervision_breach') return t('order_breach_detail', d);
  return null;
}

// ---- notifications ----

export function notificationsView(ctx) {
  const state = { page: Number(ctx.params.get('page')) || 1 };
  const list = h('div', { id: 'notifications' });
  const box = errorBox();
  const all = h('button', { class: 'btn', type: 'button', id: 'read-all' }, t('mark_all_read'));
  const reload = () => {
    ctx.setParams({ page: state.page > 1 ? state.page : '' });
    load(list, async () => {
      const res = await get('/notifications' + query({ page: state.page, page_size: 20 }));
      setUnread(res.unread_count);
      all.disabled = !res.unread_count;
      if (!res.items?.length) return h('p', { class: 'empty' }, t('notifications_empty'));
      return [h('ul', { class: 'cards notes' }, res.items.map((n) => noteItem(n, reload))), pager(res, (p) => { state.page = p; reload(); })];
    });
  };
  all.addEventListener('click', () => busy(all, box, async () => { await post('/notifications/read-all'); followupChanged(); reload(); }));
  reload();
  return h('div', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', {}, t('notifications_title')), h('div', { class: 'form-actions' }, all,
      h('button', { class: 'btn', type: 'button', onclick: reload }, '↻ ' + t('refresh')))),
    box, list);
}

function noteItem(n, reload) {
  const box = errorBox();
  const read = n.read ? null : h('button', { class: 'btn btn-small', type: 'button', 'data-action': 'read' }, t('mark_read'));
  read?.addEventListener('click', () => busy(read, box, async () => { await post('/notifications/' + encodeURIComponent(n.id) + '/read'); followupChanged(); reload(); }));
  return h('li', { class: 'card note' + (n.read ? ' is-read' : ' is-unread'), 'data-id': n.id, 'data-event': n.event, 'data-read': String(n.read) },
    h('div', { class: 'case-card-head' },
      h('h3', {}, h('a', { href: '/app/cases/' + encodeURIComponent(n.case_id) }, n.summary || label('event', n.event)), ' ', h('small', { class: 'muted' }, n.number || n.case_id)),
      h('div', { class: 'badges' }, n.read ? null : h('span', { class: 'badge unread' }, t('unread')))),
    h('p', { class: 'note-message' }, withTimes(n.message)),
    h('p', { class: 'muted meta' }, fmtTime(n.at), n.deadline ? ` · ${t('deadline')} ${fmtTime(n.deadline)}` : ''),
    box, read ? h('div', { class: 'form-actions' }, read) : null);
}
