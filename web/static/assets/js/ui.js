// ui.js — small DOM helpers shared by every side: an element builder,
// times and clocks, busy buttons, errors shown in place, a pager.
import { lang, t, label } from './i18n.js';

// h builds an element: h('a', {href, class, onclick, 'data-x': 1}, ...children).
// Children may be strings, nodes, arrays, or null/false (skipped).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden' || k === 'required') el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const dtf = {};
// fmtTime shows an RFC 3339 time in China Standard Time, with the year only
// when it is not this year.
export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d)) return String(iso);
  const cstYear = (x) => new Date(x.getTime() + 8 * 3600e3).getUTCFullYear();
  const withYear = cstYear(d) !== cstYear(new Date());
  const key = lang() + withYear;
  // Deadlines follow the mainland working calendar: show them in Beijing time
  // wherever the browser is.
  dtf[key] ??= new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: 'Asia/Shanghai', year: withYear ? 'numeric' : undefined, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
  });
  return dtf[key].format(d);
}

// fmtSpan shows a duration as "2天3小时" / "2d 3h", to the minute.
export function fmtSpan(ms) {
  const min = Math.max(1, Math.round(Math.abs(ms) / 60000));
  const d = Math.floor(min / 1440), hr = Math.floor((min % 1440) / 60), m = min % 60;
  const parts = [];
  if (d) parts.push(d + t('unit.d'));
  if (hr) parts.push(hr + t('unit.h'));
  if (!d && m) parts.push(m + t('unit.m'));
  return parts.join(lang() === 'en' ? ' ' : '');
}

// clock shows a deadline and the time left, red once it has passed (or
// when the API already marked the task overdue).
export function clock(deadline, { active = true, overdue = false } = {}) {
  if (!deadline) return h('span', { class: 'muted' }, '—');
  const left = new Date(deadline) - Date.now();
  const late = active && (left < 0 || overdue);
  return h('span', { class: 'clock' + (late ? ' late' : '') + (active && left >= 0 && left < 3600e3 * 4 ? ' soon' : '') },
    h('time', { datetime: deadline }, fmtTime(deadline)),
    active ? h('small', {}, ' · ', left < 0 ? t('overdue_by', fmtSpan(left)) : t('remaining', fmtSpan(left))) : null);
}

// badge shows a wire enum as a coloured pill: badge('case_status', 'open').
export function badge(kind, value, extra = '') {
  return h('span', { class: `badge ${kind}-${value} ${extra}`, 'data-value': value }, label(kind, value));
}

export function overdueBadge() {
  return h('span', { class: 'badge late' }, t('overdue'));
}

// errorBox is where a form's or a view's error is shown, next to it.
export function errorBox() {
  return h('p', { class: 'error', role: 'alert', hidden: true });
}

// showError shows a message where it happened; a time inside it (a
// deadline the API quotes) is shown like every other time on the page.
export function showError(box, err) {
  box.textContent = String(err?.message || err).replace(/\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)/g, (m) => fmtTime(m));
  box.hidden = false;
}

// busy disables the button and spins while fn runs; errors go to box.
export async function busy(button, box, fn) {
  if (button.disabled) return undefined;
  if (box) box.hidden = true;
  button.disabled = true;
  button.classList.add('busy');
  try {
    return await fn();
  } catch (err) {
    if (box) showError(box, err);
    else throw err;
    return undefined;
  } finally {
    button.disabled = false;
    button.classList.remove('busy');
  }
}

// form builds a <form> whose submit runs fn(data) with the busy button and
// the error shown under the form. fn returns nothing or throws.
export function form(attrs, children, submitText, fn, extraButtons = []) {
  const box = errorBox();
  const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, submitText);
  const f = h('form', { ...attrs, class: 'form ' + (attrs.class || ''), novalidate: true }, children, box,
    h('div', { class: 'form-actions' }, submit, extraButtons));
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    box.hidden = true;
    if (!f.checkValidity()) { f.reportValidity(); return; }
    if (f.confirmText && !(await confirmAction(typeof f.confirmText === 'function' ? f.confirmText(new FormData(f)) : f.confirmText))) return;
    busy(submit, box, () => fn(new FormData(f), f));
  });
  // A choice made clears an error it answered ("请至少选择一个部门").
  f.addEventListener('change', () => { box.hidden = true; });
  f.errorBox = box;
  return f;
}

// field wraps an input with its label (and a hint under it).
export function field(text, input, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, text), input, hint ? h('small', { class: 'hint' }, hint) : null);
}

export function select(name, options, value, attrs = {}) {
  return h('select', { name, ...attrs }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
}

export function section(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, children);
}

// linkify turns the http(s) links of a text into links opened in a new tab;
// the rest stays text (never HTML).
export function linkify(text) {
  const out = [];
  let last = 0;
  const re = /https?:\/\/[^\s<>"'，。；）]+/g;
  for (const m of String(text || '').matchAll(re)) {
    out.push(text.slice(last, m.index), h('a', { href: m[0], target: '_blank', rel: 'noopener noreferrer' }, m[0]));
    last = m.index + m[0].length;
  }
  out.push(String(text || '').slice(last));
  return out;
}

// pager shows "page x of y" with previous and next.
export function pager(list, go) {
  const pages = Math.max(1, Math.ceil((list.total || 0) / (list.page_size || 20)));
  const page = list.page || 1;
  if (pages <= 1) return h('p', { class: 'muted pager-info' }, t('page_of', page, pages, list.total || 0));
  return h('div', { class: 'pager' },
    h('button', { class: 'btn', type: 'button', disabled: page <= 1, onclick: () => go(page - 1) }, '‹ ' + t('prev')),
    h('span', { class: 'muted' }, t('page_of', page, pages, list.total || 0)),
    h('button', { class: 'btn', type: 'button', disabled: page >= pages, onclick: () => go(page + 1) }, t('next') + ' ›'));
}

// load shows a spinner in el while fn runs, then what fn returns; on an
// error, the API's message and a retry button, never a blank area.
export async function load(el, fn) {
  el.replaceChildren(h('p', { class: 'loading' }, h('span', { class: 'spinner' }), ' ', t('loading')));
  try {
    const node = await fn();
    el.replaceChildren(...[node].flat().filter(Boolean));
  } catch (err) {
    if (err?.status === 401) return;
    const box = errorBox();
    // A refusal or a missing page says what happened in words (the API's
    // message names the rule that refused, for the log): trying again
    // would not change it, so no 重试 then.
    if (err?.status === 403 || (err?.status === 404 && !/route|地址/.test(err.message))) {
      showError(box, { message: t(err.status === 403 ? 'page_forbidden' : 'page_not_found') });
      el.replaceChildren(box, h('a', { class: 'btn', href: '/app/' }, t('back_home')));
      return;
    }
    showError(box, err?.status === 404 && err.code === 'not_found' ? { message: t('not_built') + err.message } : err);
    el.replaceChildren(box, h('button', { class: 'btn', type: 'button', onclick: () => load(el, fn) }, t('retry')));
  }
}

// confirmAction asks before an action that cannot be taken back, in a
// dialog of the page (a native confirm() is unstyled and blocks): resolves
// true on 确认, false on 取消 or Escape.
export function confirmAction(message, okText) {
  return new Promise((resolve) => {
    const ok = h('button', { class: 'btn btn-primary', type: 'button', 'data-action': 'confirm' }, okText || t('confirm'));
    const no = h('button', { class: 'btn', type: 'button', 'data-action': 'cancel' }, t('cancel'));
    const dlg = h('dialog', { class: 'confirm-dialog', role: 'alertdialog' }, h('p', {}, message), h('div', { class: 'form-actions' }, ok, no));
    const close = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    ok.addEventListener('click', () => close(true));
    no.addEventListener('click', () => close(false));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); close(false); });
    document.body.append(dlg);
    dlg.showModal();
    ok.focus();
  });
}

// randomKey makes an Idempotency-Key, so a double submit files one case.
export function randomKey() {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
