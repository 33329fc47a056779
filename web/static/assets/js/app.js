// app.js — the shell: sign-in, the signed-in user, the menu for their
// role, the language switch and the router over /app/... paths.
import { get, token, setToken, clearToken, onUnauthorized, forgetCaches } from './api.js';
import { t, lang, setLang, label, pickName } from './i18n.js';
import { h, form, field } from './ui.js';
import * as cases from './cases.js';
import * as inbox from './inbox.js';
import * as intake from './intake.js';
import * as supervision from './supervision.js';
import * as admin from './admin.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const langBtn = document.getElementById('lang');
const signoutBtn = document.getElementById('signout');

let me = null;
let leaving = [];
let signinNotice = '';

const FILERS = ['community_secretary', 'street_secretary', 'commander', 'grid_worker'];

// Each side: its home, its menu, and which views it may open.
function sideOf(role) {
  if (FILERS.includes(role)) {
    const menu = [['/app/cases', 'nav_cases'], ['/app/cases/new', 'nav_new']];
    if (intake.ACCEPTERS.includes(role)) menu.push(['/app/intake', 'nav_intake']);
    return { home: '/app/cases', menu };
  }
  if (role === 'clerk') return { home: '/app/inbox', menu: [['/app/inbox', 'nav_inbox']] };
  if (role === 'supervisor') return { home: '/app/supervision', menu: [['/app/supervision', 'nav_supervision'], ['/app/cases', 'nav_all_cases']] };
  if (role === 'admin') return { home: '/app/admin', menu: [['/app/admin', 'nav_admin'], ['/app/cases', 'nav_all_cases']] };
  return { home: '/app/cases', menu: [['/app/cases', 'nav_cases']] };
}

const routes = [
  [/^\/app\/signin$/, () => signinView()],
  [/^\/app\/cases$/, (ctx) => cases.listView(ctx)],
  [/^\/app\/cases\/new$/, (ctx) => cases.newView(ctx)],
  [/^\/app\/cases\/([^/]+)$/, (ctx, id) => cases.caseView(ctx, decodeURIComponent(id))],
  [/^\/app\/inbox$/, (ctx) => inbox.inboxView(ctx)],
  [/^\/app\/intake$/, (ctx) => intake.intakeView(ctx)],
  [/^\/app\/supervision$/, (ctx) => supervision.supervisionView(ctx)],
  [/^\/app\/admin$/, (ctx) => admin.slaView(ctx)],
];

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

function context() {
  return {
    me,
    navigate,
    onLeave: (fn) => leaving.push(fn),
    // params/setParams keep a view's filters in the address bar.
    params: new URLSearchParams(location.search),
    setParams: (p) => {
      const q = new URLSearchParams(Object.entries(p).filter(([, v]) => v !== '' && v !== undefined && v !== null && v !== false));
      history.replaceState(null, '', location.pathname + (q.toString() ? '?' + q : ''));
    },
  };
}

async function render() {
  for (const fn of leaving.splice(0)) fn();
  chrome();
  const path = location.pathname.replace(/\/+$/, '') || '/';
  if (!token()) {
    if (path !== '/app/signin') history.replaceState(null, '', '/app/signin');
    return show(signinView());
  }
  if (!me) {
    try {
      me = await get('/me');
    } catch (err) {
      if (err.status === 401) return; // onUnauthorized already went to sign-in
      main.replaceChildren(h('section', { class: 'card' }, h('p', { class: 'error', role: 'alert' }, err.message),
        h('button', { class: 'btn', type: 'button', onclick: render }, t('retry'))));
      return;
    }
    chrome();
  }
  if (path === '/' || path === '/app' || path === '/app/signin' || path === '/index.html') {
    return navigate(sideOf(me.role).home, { replace: true });
  }
  for (const [re, view] of routes) {
    const m = path.match(re);
    if (m) {
      const node = view(context(), ...m.slice(1));
      return show(node);
    }
  }
  navigate(sideOf(me.role).home, { replace: true });
}

function show(node) {
  main.replaceChildren(node);
  window.scrollTo(0, 0);
  highlightMenu();
}

// chrome draws the top bar: who is signed in, the menu, the switches.
function chrome() {
  document.title = t('brand') + (lang() === 'en' ? ' · Shaobao' : ' · 哨报');
  document.getElementById('brand-name').textContent = t('brand');
  langBtn.textContent = t('lang_switch');
  signoutBtn.textContent = t('signout');
  signoutBtn.hidden = !token();
  if (!me) {
    nav.replaceChildren();
    who.textContent = '';
    return;
  }
  const place = me.department ? pickName(me.department) : pickName(me.org_unit);
  who.replaceChildren(h('b', {}, me.display_name || me.username), h('small', {}, ` ${label('role', me.role)} · ${place}`));
  who.title = me.username;
  nav.replaceChildren(...sideOf(me.role).menu.map(([href, key]) => h('a', { href, 'data-link': true, id: key === 'nav_intake' ? 'nav-intake' : undefined }, t(key),
    key === 'nav_intake' ? h('span', { class: 'count', id: 'intake-count', hidden: true }) : null)));
  highlightMenu();
  countIntake();
}

// countIntake shows how many cases wait in the acceptance queue next to
// its menu entry; a failure leaves the badge hidden (the page itself shows
// the API's message).
let counting = 0;
async function countIntake() {
  if (!me || !intake.ACCEPTERS.includes(me.role)) return;
  const mine = ++counting;
  let n = 0;
  try { n = await intake.pendingCount(); } catch { n = 0; }
  const el = document.getElementById('intake-count');
  if (!el || mine !== counting) return;
  el.textContent = String(n);
  el.hidden = n === 0;
  el.title = t('intake_count', n);
}
window.addEventListener('intake-changed', countIntake);

function highlightMenu() {
  for (const a of nav.querySelectorAll('a')) {
    const href = a.getAttribute('href');
    a.classList.toggle('active', location.pathname === href);
  }
}

function signinView() {
  const input = h('textarea', { id: 'token', name: 'token', rows: 3, required: true, placeholder: t('token_ph'), autocomplete: 'off', spellcheck: 'false' });
  const f = form({ id: 'signin-form' }, [field(t('token'), input)], t('signin'), async (data) => {
    setToken(String(data.get('token')));
    me = null;
    forgetCaches();
    try {
      me = await get('/me');
    } catch (err) {
      clearToken();
      chrome();
      throw err;
    }
    signinNotice = '';
    navigate(sideOf(me.role).home, { replace: true });
  });
  f.querySelector('button[type=submit]').id = 'signin-btn';
  return h('div', { class: 'signin' },
    h('section', { class: 'card' },
      h('h1', {}, t('signin_title')),
      h('p', { class: 'lead' }, t('signin_lead')),
      signinNotice ? h('p', { class: 'notice', role: 'status' }, signinNotice) : null,
      f,
      h('div', { class: 'hint-box' },
        h('p', {}, t('token_hint')),
        h('pre', {}, h('code', {}, 'go run ./cmd/shaobao token c1-secretary --data ./data')),
        h('p', { class: 'muted' }, t('token_users')))));
}

function signOut(notice = '') {
  clearToken();
  me = null;
  forgetCaches();
  signinNotice = notice;
  navigate('/app/signin', { replace: true });
}

onUnauthorized(() => {
  if (location.pathname === '/app/signin') return; // the form shows the message itself
  signOut(t('session_expired'));
});

signoutBtn.addEventListener('click', () => signOut());
langBtn.addEventListener('click', () => { setLang(lang() === 'en' ? 'zh' : 'en'); render(); });

// Links inside the app change the view without reloading the page.
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/app')) return;
  e.preventDefault();
  if (url.pathname + url.search !== location.pathname + location.search) {
    history.pushState(null, '', url.pathname + url.search);
  }
  render();
});
window.addEventListener('popstate', render);

render();
