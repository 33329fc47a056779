// app.js — the shell: sign-in, the signed-in user, the menu for their
// role, the language switch and the router over /app/... paths.
import { get, post, token, setToken, clearToken, csrf, login, logout, onUnauthorized, forgetCaches } from './api.js';
import { t, lang, setLang, label, pickName } from './i18n.js';
import { h, form, field } from './ui.js';
import * as cases from './cases.js';
import * as inbox from './inbox.js';
import * as intake from './intake.js';
import * as supervision from './supervision.js';
import * as admin from './admin.js';
import * as adminPages from './admin_pages.js';
import * as followup from './followup.js';
import * as maps from './map.js';
import * as leaders from './leaders.js';
import * as appeals from './appeals.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const langBtn = document.getElementById('lang');
const signoutBtn = document.getElementById('signout');

let me = null;
let leaving = [];
let signinNotice = '';
// A refused single sign-on comes back to /app/?sso_error=<reason>.
{
  const ssoError = new URLSearchParams(location.search).get('sso_error');
  if (ssoError) signinNotice = ssoError;
}
// mustChange: an admin reset the password; nothing else opens until it changes.
let mustChange = false;
// NEXT_KEY keeps the page asked for while signed out (a deep link), to
// open after sign-in.
const NEXT_KEY = 'shaobao.next';

const FILERS = ['community_secretary', 'street_secretary', 'commander', 'grid_worker'];

// Each side: its home, its menu, and which views it may open.
function sideOf(role) {
  if (FILERS.includes(role)) {
    const menu = [['/app/cases', 'nav_cases'], ['/app/cases/new', 'nav_new']];
    if (intake.ACCEPTERS.includes(role)) menu.push(['/app/intake', 'nav_intake']);
    if (maps.MAP_ROLES.includes(role)) menu.push(['/app/map', 'nav_map']);
    if (leaders.LEADER_ROLES.includes(role)) menu.push(['/app/leaders', 'nav_leaders']);
    if (appeals.APPEAL_ROLES.includes(role)) menu.push(['/app/appeals', 'nav_appeals']);
    return { home: '/app/cases', menu };
  }
  if (role === 'clerk') return { home: '/app/inbox', menu: [['/app/inbox', 'nav_inbox'], ['/app/appeals', 'nav_appeals']] };
  if (role === 'supervisor') return { home: '/app/supervision', menu: [['/app/supervision', 'nav_supervision'], ['/app/leaders', 'nav_leaders'], ['/app/appeals', 'nav_appeals'], ['/app/cases', 'nav_all_cases'], ['/app/map', 'nav_map']] };
  if (role === 'admin') return { home: '/app/admin', menu: [['/app/admin', 'nav_admin'], ['/app/admin/org', 'nav_org'], ['/app/admin/users', 'nav_users'], ['/app/admin/tokens', 'nav_tokens'],
    ['/app/admin/catalogue', 'nav_catalogue'], ['/app/admin/calendar', 'nav_calendar'], ['/app/admin/rules', 'nav_rules'], ['/app/admin/intake', 'nav_intake_settings'], ['/app/admin/assessment', 'nav_assessment_settings'],
    ['/app/admin/channels', 'nav_channels'], ['/app/admin/duty', 'nav_duty'], ['/app/admin/audit', 'nav_audit'], ['/app/cases', 'nav_all_cases']] };
  return { home: '/app/cases', menu: [['/app/cases', 'nav_cases']] };
}

const routes = [
  [/^\/app\/signin$/, () => signinView()],
  [/^\/app\/password$/, () => passwordView()],
  [/^\/app\/cases$/, (ctx) => cases.listView(ctx)],
  [/^\/app\/cases\/new$/, (ctx) => cases.newView(ctx)],
  [/^\/app\/cases\/([^/]+)$/, (ctx, id) => cases.caseView(ctx, decodeURIComponent(id))],
  [/^\/app\/inbox$/, (ctx) => inbox.inboxView(ctx)],
  [/^\/app\/intake$/, (ctx) => intake.intakeView(ctx)],
  [/^\/app\/supervision$/, (ctx) => supervision.supervisionView(ctx)],
  [/^\/app\/leaders$/, (ctx) => leaders.leadersView(ctx)],
  [/^\/app\/appeals$/, (ctx) => appeals.appealsView(ctx)],
  [/^\/app\/admin$/, (ctx) => admin.slaView(ctx)],
  [/^\/app\/admin\/channels$/, (ctx) => admin.channelsView(ctx)],
  [/^\/app\/admin\/duty$/, (ctx) => admin.dutyView(ctx)],
  [/^\/app\/admin\/org$/, () => adminPages.orgView()],
  [/^\/app\/admin\/users$/, () => adminPages.usersView()],
  [/^\/app\/admin\/tokens$/, () => adminPages.tokensView()],
  [/^\/app\/admin\/catalogue$/, () => adminPages.catalogueView()],
  [/^\/app\/admin\/calendar$/, () => adminPages.calendarView()],
  [/^\/app\/admin\/rules$/, () => adminPages.rulesView()],
  [/^\/app\/admin\/intake$/, () => adminPages.intakeSettingsView()],
  [/^\/app\/admin\/assessment$/, () => adminPages.assessmentSettingsView()],
  [/^\/app\/admin\/audit$/, () => adminPages.auditView()],
  [/^\/app\/todo$/, (ctx) => followup.todoView(ctx)],
  [/^\/app\/notifications$/, (ctx) => followup.notificationsView(ctx)],
  [/^\/app\/map$/, (ctx) => maps.mapView(ctx)],
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
  // Neither a pasted token nor a session's CSRF cookie: signed out.
  if (!token() && !csrf()) {
    me = null;
    mustChange = false;
    return toSignin(path);
  }
  if (!me) {
    try {
      const s = await get('/auth/session');
      mustChange = !!s.must_change_password;
      if (!mustChange) me = await get('/me');
    } catch (err) {
      if (err.status === 401) {
        // A CSRF cookie without a live session: forget it. Elsewhere
        // onUnauthorized already went to sign-in.
        document.cookie = 'shaobao_csrf=; Max-Age=0; path=/';
        if (location.pathname === '/app/signin') show(signinView());
        return;
      }
      main.replaceChildren(h('section', { class: 'card' }, h('p', { class: 'error', role: 'alert' }, err.message),
        h('button', { class: 'btn', type: 'button', onclick: render }, t('retry'))));
      return;
    }
    chrome();
  }
  if (mustChange) {
    if (path !== '/app/password') history.replaceState(null, '', '/app/password');
    return show(passwordView());
  }
  if (path === '/' || path === '/app' || path === '/app/signin' || path === '/index.html') {
    return navigate(takeNext() || sideOf(me.role).home, { replace: true });
  }
  for (const [re, view] of routes) {
    const m = path.match(re);
    if (m) {
      const ctx = context();
      const node = view(ctx, ...m.slice(1));
      // Every role's home page shows what waits on them (待办).
      return show(me && path === sideOf(me.role).home ? followup.withTodo(ctx, node) : node);
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
  signoutBtn.hidden = !me && !mustChange;
  followup.headerBadges(document.querySelector('.topbar-right'), me);
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

// toSignin shows the sign-in form, remembering a deep link to open after.
function toSignin(path) {
  if (path !== '/app/signin') {
    if (path.startsWith('/app/') && path !== '/app/password') sessionStorage.setItem(NEXT_KEY, path + location.search);
    history.replaceState(null, '', '/app/signin');
  }
  return show(signinView());
}

// takeNext returns (once) the page asked for before sign-in.
function takeNext() {
  const next = sessionStorage.getItem(NEXT_KEY);
  sessionStorage.removeItem(NEXT_KEY);
  return next && next.startsWith('/app/') && !next.startsWith('/app/signin') ? next : '';
}

// signedIn finishes a sign-in of either kind: who it is, then the page
// asked for before, or the home of their side.
async function signedIn(session) {
  me = null;
  forgetCaches();
  mustChange = !!(session && session.must_change_password);
  signinNotice = '';
  if (mustChange) return navigate('/app/password', { replace: true });
  me = await get('/me');
  navigate(takeNext() || sideOf(me.role).home, { replace: true });
}

function signinView() {
  const username = h('input', { id: 'username', name: 'username', required: true, autocomplete: 'username', autocapitalize: 'off', spellcheck: 'false', maxlength: 64 });
  const password = h('input', { id: 'password', name: 'password', type: 'password', required: true, autocomplete: 'current-password', maxlength: 128 });
  const f = form({ id: 'signin-form' }, [field(t('username'), username), field(t('password'), password)], t('signin'), async (data) => {
    const s = await login(String(data.get('username')).trim(), String(data.get('password')));
    await signedIn(s);
  });
  f.querySelector('button[type=submit]').id = 'signin-btn';

  // The token sign-in stays for scripts and tests: behind a link.
  const tokenInput = h('textarea', { id: 'token', name: 'token', rows: 3, required: true, placeholder: t('token_ph'), autocomplete: 'off', spellcheck: 'false' });
  const tf = form({ id: 'token-form' }, [field(t('token'), tokenInput)], t('signin_token'), async (data) => {
    setToken(String(data.get('token')));
    try {
      await signedIn(null);
    } catch (err) {
      clearToken();
      me = null;
      chrome();
      throw err;
    }
  });
  tf.querySelector('button[type=submit]').id = 'token-btn';
  const tokenBox = h('div', { class: 'token-signin', id: 'token-signin', hidden: true }, tf,
    h('div', { class: 'hint-box' },
      h('p', {}, t('token_hint')),
      h('pre', {}, h('code', {}, 'go run ./cmd/shaobao token c1-secretary --data ./data'))));
  const useToken = h('button', { class: 'btn btn-ghost', type: 'button', id: 'use-token', 'aria-expanded': 'false' }, t('use_token'));
  useToken.addEventListener('click', () => {
    tokenBox.hidden = !tokenBox.hidden;
    useToken.setAttribute('aria-expanded', String(!tokenBox.hidden));
    if (!tokenBox.hidden) tokenInput.focus();
  });
  // Single sign-on, when the server has a provider: a plain link, the
  // provider's pages take over and come back to the page asked for.
  const sso = h('div', { id: 'sso-box', hidden: true });
  fetch('/api/v1/auth/config', { headers: { Accept: 'application/json', 'Accept-Language': lang() } })
    .then((r) => (r.ok ? r.json() : null))
    .then((cfg) => {
      if (!cfg || !cfg.sso) return;
      const next = sessionStorage.getItem(NEXT_KEY) || '/app/';
      sso.replaceChildren(h('a', { class: 'btn btn-primary btn-block', id: 'sso-btn', href: cfg.sso.start_url + '?next=' + encodeURIComponent(next) }, t('signin_sso', cfg.sso.name)),
        h('p', { class: 'or' }, t('signin_or')));
      sso.hidden = false;
    })
    .catch(() => {});
  return h('div', { class: 'signin' },
    h('section', { class: 'card' },
      h('h1', {}, t('signin_title')),
      h('p', { class: 'lead' }, t('signin_lead')),
      signinNotice ? h('p', { class: 'notice', role: 'status' }, signinNotice) : null,
      sso,
      f,
      useToken,
      tokenBox));
}

// passwordView changes the signed-in user's password: required after an
// admin's reset, open to anyone at /app/password.
function passwordView() {
  const old = h('input', { id: 'old-password', name: 'old', type: 'password', required: true, autocomplete: 'current-password', maxlength: 128 });
  const pw = h('input', { id: 'new-password', name: 'new', type: 'password', required: true, minlength: 10, autocomplete: 'new-password', maxlength: 128 });
  const again = h('input', { id: 'new-password2', name: 'again', type: 'password', required: true, autocomplete: 'new-password', maxlength: 128 });
  const f = form({ id: 'password-form' }, [field(t('password_old'), old), field(t('password_new'), pw, t('password_rule')), field(t('password_again'), again)],
    t('password_change'), async (data) => {
      if (data.get('new') !== data.get('again')) throw new Error(t('password_mismatch'));
      await post('/auth/password', { old: String(data.get('old')), new: String(data.get('new')) });
      mustChange = false;
      me = null;
      forgetCaches();
      me = await get('/me');
      navigate(takeNext() || sideOf(me.role).home, { replace: true });
    });
  f.querySelector('button[type=submit]').id = 'password-btn';
  return h('div', { class: 'signin' },
    h('section', { class: 'card' },
      h('h1', {}, t('password_title')),
      mustChange ? h('p', { class: 'notice', role: 'status' }, t('password_must_change')) : null,
      f));
}

function signOut(notice = '') {
  clearToken();
  me = null;
  mustChange = false;
  forgetCaches();
  signinNotice = notice;
  if (notice) {
    // The session ended under the user: come back here after signing in.
    const here = location.pathname + location.search;
    if (here.startsWith('/app/') && !here.startsWith('/app/signin') && !here.startsWith('/app/password')) sessionStorage.setItem(NEXT_KEY, here);
  }
  navigate('/app/signin', { replace: true });
}

onUnauthorized(() => {
  if (location.pathname === '/app/signin') return; // the form shows the message itself
  signOut(t('session_expired'));
});

signoutBtn.addEventListener('click', async () => { await logout(); signOut(); });
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
