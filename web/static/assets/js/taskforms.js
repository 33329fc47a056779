// taskforms.js — a department clerk's actions on its task, shared by the
// inbox card and the case page: report for duty, feedback with photos and
// evidence, return a misrouted task, ask for an extension within limits.
import { post } from './api.js';
import { t } from './i18n.js';
import { h, form, field, busy, errorBox } from './ui.js';
import { photoPicker } from './photos.js';

// supersededFeedback tells whether the task's feedback was answered by a
// failed verification (返工): the clerk is redoing the work, the old
// result no longer stands. reopenedAt is the reopening's time when the
// caller knows it; without it, a reopened task not yet done again.
export function supersededFeedback(task, reopenedAt) {
  if (!task.feedback || !task.reopened || task.status === 'done') return false;
  return !reopenedAt || !task.feedback.at || new Date(task.feedback.at) <= new Date(reopenedAt);
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

// clerkActions are the buttons of an active task; a form opens under them.
// redraw gets the task as the API answered it.
export function clerkActions(task, redraw) {
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

// feedbackForm: the result, notes, photos before and after the work
// (处置前/处置后, shown side by side on the case) and evidence links.
function feedbackForm(path, redraw) {
  const key = path.replace(/\W+/g, '-');
  const before = photoPicker({ id: 'before' + key, labelText: t('photos_before') });
  const after = photoPicker({ id: 'after' + key, labelText: t('photos_after') });
  before.el.classList.add('before-photos');
  after.el.classList.add('after-photos');
  const f = form({ class: 'feedback-form', 'data-kind': 'feedback' }, [
    field(t('result'), h('textarea', { name: 'result', rows: 2, required: true, maxlength: 2000 })),
    field(t('notes'), h('textarea', { name: 'notes', rows: 2, maxlength: 5000 })),
    h('div', { class: 'row photo-pair' }, before.el, after.el),
    field(t('evidence'), h('textarea', { name: 'evidence', rows: 2, placeholder: 'https://…' }), t('evidence_hint')),
  ], t('submit'), async (d) => {
    if (before.pending() || after.pending()) throw new Error(t('photos_uploading'));
    const evidence = String(d.get('evidence') || '').split(/\s+/).map((s) => s.trim()).filter(Boolean);
    const beforeIDs = before.ids(), afterIDs = after.ids();
    redraw(await post(path + '/feedback', { result: String(d.get('result')).trim(), notes: String(d.get('notes')).trim(), evidence,
      before_files: beforeIDs.length ? beforeIDs : undefined, evidence_files: afterIDs.length ? afterIDs : undefined }));
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
