// cases.js — the community and street side: my cases with their clocks,
// filing and whistling a case, and the case page with every action the
// user may take in the case's state: the holder verifies, evaluates,
// escalates, re-routes, answers extensions and returns, summons more,
// drops a department, names the lead (主办), dispatches down (派单) and
// applies to close it as unresolvable (挂账); the level above answers
// escalations and those applications; the unit that dispatched recalls;
// the lead department's clerk releases an assisting one (协办).
import { get, post, query, departmentNames } from './api.js';
import { ACCEPTERS, nearbyLine, unitSelect } from './intake.js';
import { t, label, pickName } from './i18n.js';
import { h, form, field, select, section, badge, overdueBadge, clock, fmtTime, linkify, pager, load, busy, errorBox, randomKey, confirmAction } from './ui.js';
import { clerkActions, supersededFeedback } from './taskforms.js';
import { warningBadge, mayUrge, urgeForm, urgeFacts, ordersSection, followupDetail, withTimes } from './followup.js';
import { photoPicker, thumbnails, beforeAfter } from './photos.js';
import { locationPicker, gridName } from './map.js';
import { callbackBadge, callbackPending, callbackForm, callbackSection, callbackDetail } from './callback.js';

const FILERS = ['community_secretary', 'street_secretary', 'commander', 'grid_worker'];
const STATUSES = ['pending', 'open', 'verifying', 'evaluating', 'closed'];
const CLASSES = ['emergency', 'key', 'routine', 'coordination'];
const SOURCES = ['grid', 'community', 'resident', 'hotline', 'property', 'escalation'];
const SATISFACTION = ['satisfied', 'basically_satisfied', 'dissatisfied'];
const CALLBACKS = ['pending', 'reached', 'unreached', 'expired'];

// names resolves department ids to names in the current language.
async function namesMap() {
  try { return await departmentNames(); } catch { return new Map(); }
}
function deptName(names, id, fallback) {
  const d = names.get(id);
  return d ? pickName(d) : (fallback || id);
}

// activeClock is the deadline a task is working against now.
function taskClock(task) {
  if (task.status === 'summoned') return [t('report_deadline'), clock(task.report_deadline, { overdue: task.overdue })];
  if (task.status === 'reported') return [t('handle_deadline'), clock(task.handle_deadline, { overdue: task.overdue })];
  return null;
}

// ---- my cases ----

export function listView(ctx) {
  const p = ctx.params;
  const state = { status: p.get('status') || '', class: p.get('class') || '', callback: p.get('callback') || '', overdue: p.get('overdue') === 'true', q: p.get('q') || '', mine: p.get('mine') === 'true', page: Number(p.get('page')) || 1 };
  const results = h('div', { id: 'case-list' });
  const filtered = () => Boolean(state.status || state.class || state.callback || state.overdue || state.q || state.mine);
  const title = h('h1', {});
  const reload = () => {
    ctx.setParams({ ...state, page: state.page > 1 ? state.page : '' });
    title.textContent = listTitle(ctx.me, state.mine);
    load(results, async () => {
      const [list, names, waits] = await Promise.all([get('/cases' + query({ ...state, page_size: 20 })), namesMap(), waitingOnMe()]);
      if (!list.items.length) {
        // An empty search says so and offers the way back (清除筛选).
        if (!filtered()) return h('p', { class: 'empty' }, t('no_cases'));
        return h('div', { class: 'empty' }, h('p', {}, t('no_match')),
          h('button', { class: 'btn', type: 'button', id: 'clear-filters', onclick: () => { ctx.navigate('/app/cases', { replace: true }); } }, t('clear_filters')));
      }
      return [h('ul', { class: 'cards' }, list.items.map((c) => caseCard(c, names, waits.get(c.id), ctx.me))),
        pager(list, (n) => { state.page = n; reload(); })];
    });
  };
  const filters = h('form', { class: 'filters', id: 'case-filters' },
    field(t('filter_status'), select('status', [['', t('all')], ...STATUSES.map((s) => [s, label('case_status', s)])], state.status)),
    field(t('filter_class'), select('class', [['', t('all')], ...CLASSES.map((c) => [c, label('class', c)])], state.class)),
    field(t('filter_callback'), select('callback', [['', t('all')], ...CALLBACKS.map((s) => [s, label('callback', s)])], state.callback, { id: 'filter-callback' })),
    field(t('filter_q'), h('input', { name: 'q', type: 'search', value: state.q, placeholder: t('q_ph') })),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'overdue', checked: state.overdue }), t('only_overdue')),
    FILERS.includes(ctx.me.role) ? h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'mine', id: 'only-mine', checked: state.mine }), t('only_mine')) : null,
    h('button', { class: 'btn', type: 'submit' }, t('filter')));
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    const d = new FormData(filters);
    Object.assign(state, { status: d.get('status'), class: d.get('class'), callback: d.get('callback'), q: String(d.get('q')).trim(), overdue: d.get('overdue') === 'on', mine: d.get('mine') === 'on', page: 1 });
    reload();
  });
  filters.addEventListener('change', (e) => { if (e.target.tagName === 'SELECT' || e.target.type === 'checkbox') filters.requestSubmit(); });
  reload();
  const canFile = FILERS.includes(ctx.me.role);
  return h('div', { class: 'page' },
    h('div', { class: 'page-head' }, title,
      canFile ? h('a', { class: 'btn btn-primary', href: '/app/cases/new', id: 'new-case' }, '＋ ' + t('new_case')) : null),
    filters, results);
}

// listTitle names the list for what it is: a secretary above the community
// sees the whole unit's cases (本街道案件), or only those they filed.
function listTitle(me, mine) {
  if (me.role === 'supervisor' || me.role === 'admin') return t('nav_all_cases');
  if (mine) return t('cases_mine');
  if (me.role === 'grid_worker' || me.level === 'community') return t('cases_title');
  return t('cases_of_unit', label('level', me.level));
}

// waitingOnMe maps a case id to what on it waits on the user (the kinds
// of their /todo items): the list marks those cases.
async function waitingOnMe() {
  try {
    const todo = await get('/todo');
    const m = new Map();
    for (const it of todo.items || []) m.set(it.case_id, [...(m.get(it.case_id) || []), it.kind]);
    return m;
  } catch { return new Map(); }
}

// heldHere: a case filed elsewhere that escalation or a dispatch put in
// the user's own unit's hands: it waits on them though no form asks.
function heldHere(c, me) {
  const mine = me && me.org_unit && me.org_unit.id;
  return Boolean(mine) && c.status !== 'closed' && c.holder_org_unit_id === mine && c.org_unit_id !== mine;
}

function caseCard(c, names, waits, me) {
  const clocks = (c.tasks || []).map((task) => {
    const cl = taskClock(task);
    return h('li', { class: 'mini-task' + (task.overdue ? ' is-late' : '') },
      h('span', { class: 'dept' }, deptName(names, task.department_id, task.department_name)),
      badge('task_status', task.status), warningBadge(task.warning),
      cl ? h('span', { class: 'mini-clock' }, cl[1]) : null);
  });
  return h('li', { class: 'card case-card' + (c.overdue ? ' is-late' : ''), 'data-case-id': c.id },
    h('a', { class: 'case-link', href: '/app/cases/' + encodeURIComponent(c.id) },
      h('div', { class: 'case-card-head' },
        h('h3', {}, c.title),
        h('div', { class: 'badges' }, badge('case_status', c.status), c.outcome ? badge('outcome', c.outcome) : null, badge('class', c.class), c.overdue ? overdueBadge() : null,
          callbackBadge(c),
          [...new Set(waits || [])].map((k) => h('span', { class: 'badge waits-on-me', 'data-todo': k }, '● ' + label('todo', k))),
          heldHere(c, me) ? h('span', { class: 'badge waits-on-me', 'data-held': 'here' }, '● ' + t('held_here')) : null)),
      h('p', { class: 'muted meta' }, `${c.number || c.id} · ${fmtTime(c.created_at)} · ${label('level', c.level)} · ${c.location?.address || ''}`)),
    clocks.length ? h('ul', { class: 'mini-tasks' }, clocks) : null);
}

// ---- file and whistle a case ----

export function newView(ctx) {
  const body = h('div', {});
  load(body, async () => {
    const [catalogue, depts] = await Promise.all([get('/catalogue'), get('/departments?whistleable=true')]);
    return newCaseForm(ctx, catalogue.items || [], depts.items || []);
  });
  return h('div', { class: 'page narrow' }, h('h1', {}, t('new_title')), body);
}

function newCaseForm(ctx, catalogue, depts) {
  const idemKey = randomKey();
  const hints = h('div', { class: 'notice dup-hints', id: 'dup-hints', role: 'status', hidden: true });
  const classSel = select('class', CLASSES.map((c) => [c, label('class', c)]), 'routine', { id: 'class' });
  const deptList = h('div', { class: 'checks', id: 'departments' },
    depts.length ? depts.map((d) => h('label', { class: 'check dept-check', 'data-kind': d.kind },
      h('input', { type: 'checkbox', name: 'department_ids', value: d.id }),
      h('span', {}, pickName(d)), h('small', { class: 'suggest' }, t('suggested'))))
      : h('p', { class: 'muted' }, t('no_departments')));
  const catSel = select('catalogue_item', [['', t('catalogue_pick')], ...catalogue.map((c) => [c.id, `${pickName(c)}（${c.category}）`])], '', { id: 'catalogue' });
  const title = h('input', { name: 'title', id: 'title', required: true, maxlength: 200 });
  const categories = [...new Set(catalogue.map((c) => c.category).filter(Boolean))];
  const category = h('input', { name: 'category', id: 'category', maxlength: 64, list: 'categories', autocomplete: 'off' });
  const categoryList = h('datalist', { id: 'categories' }, categories.map((c) => h('option', { value: c })));
  let autoCategory = '';
  catSel.addEventListener('change', () => {
    const item = catalogue.find((c) => c.id === catSel.value);
    if (item?.default_class) classSel.value = item.default_class;
    if (item && !title.value) title.value = pickName(item);
    // The item's category, unless the user typed another one.
    if (!category.value || category.value === autoCategory) {
      category.value = autoCategory = item?.category || '';
      category.dispatchEvent(new Event('input', { bubbles: true }));
    }
    for (const el of deptList.querySelectorAll('.dept-check')) {
      el.classList.toggle('suggested', Boolean(item?.department_kinds?.includes(el.dataset.kind)));
    }
  });
  const photos = photoPicker({ id: 'photos', labelText: t('photos_label'), buttonText: t('photos_take'), onUploaded: (f, li) => usePhotoPlace(f, li) });
  const lat = h('input', { name: 'lat', id: 'lat', type: 'number', step: 'any', min: -90, max: 90, inputmode: 'decimal' });
  const lon = h('input', { name: 'lon', id: 'lon', type: 'number', step: 'any', min: -180, max: 180, inputmode: 'decimal' });
  const locErr = h('small', { class: 'hint error-text', hidden: true });
  const locate = h('button', { class: 'btn', type: 'button', hidden: !('geolocation' in navigator) }, t('locate'));
  locate.addEventListener('click', () => busy(locate, null, () => new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition((pos) => {
      lat.value = pos.coords.latitude.toFixed(6);
      lon.value = pos.coords.longitude.toFixed(6);
      locErr.hidden = true;
      lon.dispatchEvent(new Event('change', { bubbles: true })); // the duplicate hints and the map look again
      resolve();
    }, (err) => { locErr.textContent = t('locate_failed', err.message); locErr.hidden = false; resolve(); }, { timeout: 10000 });
  })));
  // The map picks the point and names its grid; a point outside every grid
  // is filed only when the filer says so (by address).
  const gridID = h('input', { name: 'grid_id', id: 'grid_id', maxlength: 32 });
  const outside = h('label', { class: 'check outside-grid', id: 'outside-grid', hidden: true },
    h('input', { type: 'checkbox', name: 'outside_grid', id: 'outside-grid-check' }), t('outside_grid_ok'));
  const picker = locationPicker({ lat, lon, onLocated: (ans) => {
    if (ans === null) outside.hidden = false;
    if (ans?.grid?.id) { gridID.value = ans.grid.id; outside.hidden = true; outside.querySelector('input').checked = false; }
  } });
  ctx.onLeave(picker.remove);
  // usePhotoPlace offers a photo's EXIF place (where it was taken) as the point.
  const usePhotoPlace = (f, li) => {
    if (!Number.isFinite(f.lat) || !Number.isFinite(f.lon)) return;
    const b = h('button', { class: 'btn btn-small photo-place', type: 'button' }, t('photo_use_place'));
    b.addEventListener('click', () => {
      lat.value = f.lat.toFixed(6);
      lon.value = f.lon.toFixed(6);
      lon.dispatchEvent(new Event('change', { bubbles: true }));
      b.remove();
    });
    li.append(b);
  };

  const f = form({ id: 'new-case-form' }, [
    field(t('catalogue'), catSel),
    field(t('class'), classSel),
    h('fieldset', { class: 'field' }, h('legend', { class: 'field-label' }, t('departments_optional')), deptList, h('small', { class: 'hint' }, t('departments_hint'), ' ', t('departments_pending_hint'))),
    field(t('title'), title),
    field(t('category'), [category, categoryList], t('category_hint')),
    field(t('description'), h('textarea', { name: 'description', id: 'description', rows: 4, maxlength: 5000 })),
    photos.el,
    field(t('source'), select('source', SOURCES.map((s) => [s, label('source', s)]), ctx.me.role === 'grid_worker' ? 'grid' : 'community', { id: 'source' })),
    field(t('address'), h('input', { name: 'address', id: 'address', required: true, maxlength: 255 })),
    h('div', { class: 'row' }, field(t('lat'), lat), field(t('lon'), lon)),
    h('div', { class: 'row' }, locate, locErr),
    picker.el,
    field(t('grid_id'), gridID),
    outside,
    hints,
  ], t('whistle'), async (d) => {
    // Without departments the case is filed pending (待受理) for the command
    // centre of its level to accept.
    const ids = d.getAll('department_ids');
    if (photos.pending()) throw new Error(t('photos_uploading'));
    const description = String(d.get('description') || '').trim();
    const photoIDs = photos.ids();
    const body = {
      title: String(d.get('title')).trim(), description, source: d.get('source'), class: d.get('class'),
      photos: photoIDs.length ? photoIDs : undefined, outside_grid: d.get('outside_grid') === 'on' || undefined,
      department_ids: ids.length ? ids : undefined, catalogue_item: d.get('catalogue_item') || undefined,
      category: String(d.get('category') || '').trim() || undefined,
      location: { address: String(d.get('address')).trim(), ...point(d), grid_id: String(d.get('grid_id') || '').trim() || undefined },
    };
    let kase;
    try {
      kase = await post('/cases', body, { 'Idempotency-Key': idemKey });
    } catch (err) {
      // Outside every grid: offer the explicit choice, then the filer resends.
      if (err.code === 'outside_grid' || (err.status === 400 && /网格|grid/i.test(err.message) && body.location.lat !== undefined)) outside.hidden = false;
      throw err;
    }
    ctx.navigate('/app/cases/' + encodeURIComponent(kase.id));
  });
  const submit = f.querySelector('button[type=submit]');
  submit.id = 'whistle-btn';
  // The button says what will happen: whistle now, or file for acceptance.
  const relabel = () => { submit.textContent = deptList.querySelector('input:checked') ? t('whistle') : t('file_pending'); };
  deptList.addEventListener('change', relabel);
  relabel();
  watchDuplicates(f, hints);
  return section(null, f);
}

// watchDuplicates asks GET /cases/nearby, once the title, the category and
// the place are filled, for open cases of the same category near it, and
// lists them above the submit button (FixMyStreet does this): the filer may
// join the existing case instead of filing a second one.
function watchDuplicates(f, hints) {
  let timer = null;
  let asked = '';
  const check = async () => {
    const d = new FormData(f);
    const title = String(d.get('title') || '').trim();
    const category = String(d.get('category') || '').trim();
    const address = String(d.get('address') || '').trim();
    const latS = String(d.get('lat') || '').trim(), lonS = String(d.get('lon') || '').trim();
    const lat = Number(latS), lon = Number(lonS);
    const point = latS !== '' && lonS !== '' && Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
    if (!title || !category || (!point && !address)) { hints.hidden = true; asked = ''; return; }
    const q = query(point ? { lat, lon, category, limit: 5 } : { address, category, limit: 5 });
    if (q === asked) return;
    asked = q;
    let items = [];
    try { items = (await get('/cases/nearby' + q)).items || []; } catch { items = []; } // a hint only: filing goes on
    if (q !== asked) return; // a newer question is under way
    hints.hidden = !items.length;
    hints.replaceChildren(h('b', {}, t('dup_title')), h('small', { class: 'muted' }, ' ' + t('dup_hint')),
      h('ul', {}, items.map((n) => h('li', { 'data-case-id': n.id },
        h('a', { href: '/app/cases/' + encodeURIComponent(n.id), target: '_blank', rel: 'noopener' }, nearbyLine(n))))));
  };
  f.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(check, 400); });
  f.addEventListener('change', () => { clearTimeout(timer); timer = setTimeout(check, 400); });
}

// point gives the form's lat and lon when both are filled in: an address
// alone is enough (a hotline caller rarely knows coordinates), and the API
// refuses one without the other.
function point(d) {
  const latS = String(d.get('lat') || '').trim(), lonS = String(d.get('lon') || '').trim();
  return latS !== '' && lonS !== '' ? { lat: Number(latS), lon: Number(lonS) } : {};
}

// ---- the case page ----

// COMMANDERS may dispatch a case down and recall it: a command centre, and
// the street with its command-and-dispatch power (综合执法指挥调度权).
export const COMMANDERS = ['commander', 'street_secretary'];

export function caseView(ctx, id) {
  const body = h('div', { id: 'case' });
  const back = ctx.me.role === 'clerk' ? ['/app/inbox', t('nav_inbox')] : ['/app/cases', t('nav_cases')];
  load(body, async () => {
    const [kase, names] = await Promise.all([get('/cases/' + encodeURIComponent(id)), namesMap()]);
    const page = h('div', {});
    const draw = (k) => page.replaceChildren(...renderCase(ctx, k, names, draw).filter(Boolean)); // a section with nothing to show is null
    draw(kase);
    return page;
  });
  return h('div', { class: 'page' }, h('a', { class: 'back', href: back[0] }, '‹ ' + back[1]), body);
}

// WAITING are the task statuses that still hold a case open (the
// department owes work, or its return awaits an answer); a returned task
// waits too until it is re-routed.
const WAITING = ['summoned', 'reported', 'return_requested'];
const waiting = (task) => WAITING.includes(task.status) || (task.status === 'returned' && !task.rerouted);
const active = (task) => task.status === 'summoned' || task.status === 'reported';

// leadTask is the lead department's task still on the case (主办), if any.
function leadTask(c) {
  return (c.tasks || []).find((x) => x.lead && x.status !== 'dropped' && x.status !== 'returned');
}

// openEscalation is the escalation waiting for a review or an answer.
function openEscalation(c) {
  return [...(c.escalations || [])].reverse().find((e) => e.status === 'pending' || e.status === 'review') || null;
}

// recallable is the dispatch that handed the case to its holder, while it
// may still be taken back.
function recallable(c) {
  const d = (c.dispatches || []).at(-1);
  return d && !d.recalled_at && d.to_org_unit_id === c.holder_org_unit_id ? d : null;
}

// levels turns the level words of a timeline detail ("district → street
// 理由") into the reader's language.
function levels(detail) {
  return String(detail).replace(/\b(community|street|district|city)\b/g, (w) => label('level', w));
}

function renderCase(ctx, c, names, redraw) {
  const dn = (id, fallback) => deptName(names, id, fallback);
  const holder = holds(ctx.me, c);
  const desc = c.description ? h('p', { class: 'description' }, linkify(c.description)) : null;
  const head = h('section', { class: 'card case-head' + (c.overdue ? ' is-late' : ''), 'data-case-status': c.status, 'data-case-id': c.id },
    h('div', { class: 'case-card-head' }, h('h1', {}, c.title),
      h('div', { class: 'badges' }, badge('case_status', c.status, 'big'), c.outcome ? badge('outcome', c.outcome, 'big') : null, badge('class', c.class), c.overdue ? overdueBadge() : null, callbackBadge(c))),
    desc,
    thumbnails(c.photos, { id: 'case-photos' }),
    outcomeNote(c),
    unresolvableNote(c),
    h('dl', { class: 'facts' },
      fact(t('case_no'), c.number ? [h('code', { id: 'case-number' }, c.number), h('small', { class: 'muted' }, ' · ' + c.id)] : h('code', {}, c.id)),
      c.status === 'pending' && c.accept_deadline ? fact(t('accept_deadline'), clock(c.accept_deadline, { overdue: c.accept_breached })) : null,
      fact(t('level'), label('level', c.level)),
      fact(t('source'), label('source', c.source)),
      c.category ? fact(t('category'), c.category) : null,
      // A case filed by address alone has no lat/lon: show no point then.
      fact(t('location'), [c.location?.address, ...(Number.isFinite(c.location?.lat) && Number.isFinite(c.location?.lon)
        ? [' ', h('small', { class: 'muted' }, `(${c.location.lat}, ${c.location.lon})`)] : [])]),
      c.location?.grid_id ? fact(t('grid'), gridLine(ctx.me, c.location)) : null,
      fact(t('filed_by'), c.filed_by),
      fact(t('created_at'), fmtTime(c.created_at)),
      c.evaluation_due && c.status === 'evaluating' ? fact(t('evaluation_due', ''), fmtTime(c.evaluation_due)) : null,
      c.verify_failures ? fact(t('verify_failures', c.verify_failures), '') : null));
  const out = [head];
  const acts = FILERS.includes(ctx.me.role) && c.status !== 'closed' ? actions(ctx, c, dn, redraw, holder) : [];
  if (c.status === 'pending') {
    // A pending case is accepted, rejected or merged from the queue, not
    // here; the unit that dispatched it may still recall it.
    out.push(h('section', { class: 'card actions', id: 'actions' }, h('p', { class: 'notice' }, t('pending_notice'),
      ACCEPTERS.includes(ctx.me.role) && holder ? [' ', h('a', { href: '/app/intake', id: 'to-intake' }, t('to_intake'))] : null), acts));
  } else if (acts.length) {
    out.push(h('section', { class: 'card actions', id: 'actions' }, h('h2', {}, t('actions')), acts));
  }
  // A case rejected or merged before acceptance never had tasks.
  const perms = taskPerms(ctx.me, c, holder);
  if (c.tasks?.length || c.status !== 'closed') {
    out.push(section(t('tasks'), h('ul', { class: 'tasks' }, (c.tasks || []).map((task) => taskItem(task, dn, perms, c, redraw)))));
  }
  out.push(ordersSection(ctx.me, c, dn, answered('/cases/' + encodeURIComponent(c.id), redraw)));
  if (c.dispatches?.length) {
    out.push(section(t('dispatches'), h('ul', { class: 'plain', id: 'dispatches' }, c.dispatches.map((d) => h('li', { 'data-to': d.to_org_unit_id },
      h('b', {}, t('dispatch_line', label('level', d.from_level), label('level', d.to_level))), d.reason ? ' · ' + d.reason : '',
      h('small', { class: 'muted' }, ` — ${d.by || ''} ${fmtTime(d.at)}`),
      d.recalled_at ? h('div', { class: 'muted' }, t('recalled_at', fmtTime(d.recalled_at), d.recalled_by || '')) : null)))));
  }
  if (c.escalations?.length) {
    out.push(section(t('escalations'), h('ul', { class: 'plain', id: 'escalations' }, c.escalations.map((e) => h('li', { 'data-status': e.status || '' },
      h('b', {}, t('esc_line', label('level', e.from), label('level', e.to))), ' · ', label('esc', e.kind), e.reason ? ' · ' + e.reason : '',
      e.status ? [' ', badge('esc_status', e.status)] : null,
      h('small', { class: 'muted' }, ' — ', actorName(e.by), ` ${fmtTime(e.at)}`),
      e.status === 'pending' && e.answer_deadline ? h('div', {}, t('answer_deadline'), ' ', clock(e.answer_deadline, { overdue: e.answer_breached })) : null,
      e.comment ? h('div', { class: 'muted' }, t('instructions') + t('colon') + e.comment, e.answered_by ? ` — ${e.answered_by}` : '') : null)))));
  }
  const cb = callbackSection(c);
  if (cb) out.push(cb);
  if (c.evaluations?.length) {
    out.push(section(t('evaluations'), h('ul', { class: 'plain', id: 'evaluations' }, c.evaluations.map((e) => h('li', { 'data-dept': e.department_id },
      h('b', {}, dn(e.department_id)), ` · ${t('timeliness')} ${e.timeliness} · ${t('quality')} ${e.quality} · ${t('attitude')} ${e.attitude} · `,
      e.satisfaction ? label('satisfaction', e.satisfaction) : label('callback', c.callback), e.default ? h('span', { class: 'badge' }, t('default_eval')) : null,
      e.comment ? h('div', { class: 'muted' }, e.comment) : null)))));
  }
  if (c.breaches?.length) {
    // An escalation's or an acceptance's breach names no department: the level's.
    out.push(section(t('breaches'), h('ul', { class: 'plain', id: 'breaches' }, c.breaches.map((b) => h('li', { class: b.resolved ? '' : 'late-text', 'data-kind': b.kind },
      h('b', {}, b.department_id ? dn(b.department_id) : label('level', b.level)), ' · ', label('breach', b.kind), ` · ${t('deadline')} ${fmtTime(b.deadline)}`, b.resolved ? ` · ${t('resolved')}` : '')))));
  }
  out.push(section(t('timeline'), h('ol', { class: 'timeline', id: 'timeline' }, (c.timeline || []).map((e) => h('li', { 'data-type': e.type },
    h('time', { datetime: e.at }, fmtTime(e.at)),
    h('div', {}, h('b', {}, label('event', e.type)), e.department_id ? ' · ' + dn(e.department_id) : '',
      h('small', { class: 'muted' }, ' — ', actorName(e.actor)),
      // The detail often repeats the department's name: show it only when it says more.
      e.detail && e.detail !== dn(e.department_id) && e.detail !== names.get(e.department_id)?.name
        ? h('div', { class: 'detail' }, timelineDetail(e, dn, c)) : null))))));
  return out;
}

// actorName shows who did it: a username as it is (an id), the clock's
// own events as 系统.
function actorName(actor) {
  return !actor || actor === 'system' ? t('system_actor') : h('span', { translate: 'no' }, actor);
}

// timelineDetail renders an entry's detail in the reader's language. The
// workflows record it as plain text with wire words in it ("routine …",
// "5/4/5 satisfied", "street → district (handle_breach): …"); its
// structure is read here, the history itself stays as recorded.
function timelineDetail(e, dn, c) {
  const followup = followupDetail(e);
  if (followup) return followup;
  const d = String(e.detail);
  if (e.type === 'closed') return label('outcome', d);
  if (e.type === 'filed') {
    const [cls, ...title] = d.split(' ');
    return CLASSES.includes(cls) ? [label('class', cls), ' · ', title.join(' ')] : d;
  }
  if (e.type === 'summoned') {
    // "<department> 改派自 <task id>": name the department it replaced.
    const m = d.match(/改派自 (\S+)$/);
    if (m) {
      const from = (c.tasks || []).find((x) => x.id === m[1]);
      return t('rerouted_from', from ? dn(from.department_id, from.department_name) : m[1]);
    }
    return d;
  }
  if (e.type === 'evaluated') {
    const m = d.match(/^(\d)\/(\d)\/(\d) (\w+)$/);
    if (m) return `${t('timeliness')} ${m[1]} · ${t('quality')} ${m[2]} · ${t('attitude')} ${m[3]} · ${CALLBACKS.includes(m[4]) ? label('callback', m[4]) : label('satisfaction', m[4])}`;
  }
  if (e.type === 'evaluation_defaulted') return label('satisfaction', d);
  if (e.type === 'callback' || e.type === 'callback_settled') return callbackDetail(e);
  if (e.type === 'escalated') {
    // "<from> → <to> (<kind>): <reason>"
    const m = d.match(/^(\w+) → (\w+) \((\w+)\): ?([\s\S]*)$/);
    if (m) return [t('esc_line', label('level', m[1]), label('level', m[2])), ' · ', label('esc', m[3]), m[4] ? t('colon') + m[4] : ''];
  }
  if (e.type === 'reopened' && d) return [t('verify_comment'), t('colon'), d];
  if (e.type === 'dispatched' || e.type === 'recalled' || e.type === 'escalation_accepted' || e.type === 'escalation_requested') return linkify(withTimes(levels(d)));
  // A breach's detail is its deadline: shown like every time on the page.
  return linkify(withTimes(e.detail));
}

// outcomeNote says how a closed case ended: rejected with the reason,
// merged with a link to the surviving case, unresolvable with the reason
// and the approval.
function outcomeNote(c) {
  if (c.outcome === 'rejected') {
    return h('p', { class: 'notice outcome-note', id: 'outcome', 'data-outcome': 'rejected' }, h('b', {}, label('outcome', 'rejected')), t('colon'), c.reject_reason || '');
  }
  if (c.outcome === 'merged') {
    return h('p', { class: 'notice outcome-note', id: 'outcome', 'data-outcome': 'merged' }, h('b', {}, label('outcome', 'merged')), t('colon'), t('merged_into'), ' ',
      c.merged_into ? h('a', { href: '/app/cases/' + encodeURIComponent(c.merged_into), id: 'merged-into' }, c.merged_into) : '');
  }
  if (c.outcome === 'unresolvable') {
    const u = c.unresolvable || {};
    return h('p', { class: 'notice outcome-note', id: 'outcome', 'data-outcome': 'unresolvable' }, h('b', {}, label('outcome', 'unresolvable')), t('colon'), u.reason || '',
      u.answered_by ? h('small', { class: 'muted' }, ` — ${u.answered_by} ${fmtTime(u.answered_at)}${u.comment ? ' · ' + u.comment : ''}`) : null);
  }
  return null;
}

// unresolvableNote shows an application still pending, or refused, on an
// open case.
function unresolvableNote(c) {
  const u = c.unresolvable;
  if (!u || c.outcome === 'unresolvable') return null;
  if (u.status === 'pending') {
    return h('p', { class: 'notice outcome-note', id: 'unresolvable-status', 'data-status': 'pending' }, h('b', {}, t('unres_waiting')), t('colon'), u.reason,
      h('small', { class: 'muted' }, ` — ${u.requested_by || ''} ${fmtTime(u.requested_at)}`));
  }
  if (u.status === 'refused') {
    return h('p', { class: 'notice outcome-note', id: 'unresolvable-status', 'data-status': 'refused' }, h('b', {}, t('unres_refused_note')), t('colon'), u.comment || '',
      h('small', { class: 'muted' }, ` — ${u.answered_by || ''} ${fmtTime(u.answered_at)}`));
  }
  return null;
}

// gridLine shows the case's grid: its id, then its name and community
// once the map names them (for the roles that read the map).
function gridLine(me, loc) {
  const el = h('span', { id: 'case-grid', 'data-grid-id': loc.grid_id }, h('code', {}, loc.grid_id));
  gridName(me, loc).then((g) => {
    if (g) el.replaceChildren(g.grid.name, g.community?.name ? h('small', { class: 'muted' }, ' · ' + g.community.name) : null);
  });
  return el;
}

function fact(term, value) {
  return [h('dt', {}, term), h('dd', {}, value)];
}

// taskPerms says which of a task's own buttons the user gets: the holder
// drops a department or makes it the lead; the lead department's clerk
// releases an assisting one. The API decides; this only hides buttons
// that would be refused.
function taskPerms(me, c, holder) {
  const open = c.status === 'open';
  const decides = open && holder && ACCEPTERS.includes(me.role);
  const lead = leadTask(c);
  return {
    drop: decides,
    lead: decides,
    release: open && me.role === 'clerk' && lead && me.department?.id === lead.department_id ? lead : null,
    // The department's clerk acts on its own task here as in the inbox.
    clerk: (task) => open && me.role === 'clerk' && me.department?.id === task.department_id && (task.status === 'summoned' || task.status === 'reported'),
    leadTask: lead,
    urge: (task) => mayUrge(me, c, holder, task),
  };
}

// reopening is the failed verification that reopened the task last (返工),
// while the task is being redone.
function reopening(task, c) {
  if (!task.reopened || task.status === 'done') return null;
  return [...(c.timeline || [])].reverse().find((e) => e.type === 'reopened' && e.task_id === task.id) || null;
}

function taskItem(task, dn, perms, c, redraw) {
  const ext = task.extension;
  const rework = reopening(task, c);
  const superseded = supersededFeedback(task, rework?.at);
  const ended = task.status === 'dropped' || task.status === 'released';
  const limits = task.extension_limits || {};
  // A return awaiting its answer keeps the clocks of the status it came from.
  const cs = task.status === 'return_requested' ? (task.return_from || 'reported') : task.status;
  const role = task.lead ? h('span', { class: 'badge lead', 'data-role': 'lead' }, t('lead'))
    : perms.leadTask && !ended && task.status !== 'returned' ? h('span', { class: 'badge assisting', 'data-role': 'assisting' }, t('assisting')) : null;
  return h('li', { class: 'task' + (task.overdue ? ' is-late' : '') + (ended ? ' is-ended' : ''), 'data-task-id': task.id, 'data-task-status': task.status, 'data-dept': task.department_id },
    h('div', { class: 'task-head' }, h('b', {}, dn(task.department_id, task.department_name)), badge('task_status', task.status), role,
      warningBadge(task.warning), task.overdue ? overdueBadge() : null, task.rerouted ? h('span', { class: 'badge' }, t('rerouted')) : null,
      task.reopened && task.status !== 'done' ? h('span', { class: 'badge rework', 'data-role': 'rework' }, t('rework')) : null),
    rework ? h('p', { class: 'notice rework-note' }, h('b', {}, t('rework_reason')), t('colon'), rework.detail || t('rework_no_comment'),
      h('small', { class: 'muted' }, ' — ', actorName(rework.actor), ' ', fmtTime(rework.at))) : null,
    h('dl', { class: 'facts compact' },
      fact(t('report_deadline'), task.reported_at ? [fmtTime(task.report_deadline), h('small', { class: 'muted' }, ' · ' + t('reported_at', fmtTime(task.reported_at)))]
        : clock(task.report_deadline, { active: cs === 'summoned', overdue: task.report_breached })),
      fact(t('handle_deadline'), task.done_at ? [fmtTime(task.handle_deadline), h('small', { class: 'muted' }, ' · ' + t('done_at', fmtTime(task.done_at)))]
        : clock(task.handle_deadline, { active: cs === 'summoned' || cs === 'reported', overdue: task.handle_breached })),
      task.return_reason ? fact(t('returned_reason'), task.return_reason) : null,
      task.return_answer ? fact(t('return_answer'), task.return_answer) : null,
      task.drop_reason ? fact(task.status === 'released' ? t('release_reason') : t('dropped_reason'), task.drop_reason) : null,
      ext ? fact(t('ask_extension'), `${fmtTime(ext.until)} · ${t('extension_' + ext.status)} · ${ext.reason}`) : null,
      limits.count && task.extensions ? fact(t('extension_count', task.extensions, limits.count), '') : null,
      urgeFacts(task)),
    task.feedback ? h('div', { class: 'feedback' + (superseded ? ' superseded' : '') },
      superseded ? h('span', { class: 'badge superseded-badge' }, t('feedback_superseded')) : null,
      h('b', {}, t('feedback') + t('colon')), task.feedback.result,
      task.feedback.notes ? h('p', { class: 'muted' }, linkify(task.feedback.notes)) : null,
      task.feedback.evidence?.length ? h('ul', { class: 'evidence' }, task.feedback.evidence.map((u) => h('li', {}, linkify(u)))) : null,
      beforeAfter(task.feedback.before_files, task.feedback.evidence_files)) : null,
    taskControls(task, dn, perms, c, redraw),
    perms.clerk(task) ? clerkActions(task, async () => redraw(await get('/cases/' + encodeURIComponent(c.id)))) : null);
}

// taskControls are the buttons on one task: make it the lead, drop it,
// release it; drop and release open a reason form under them.
function taskControls(task, dn, perms, c, redraw) {
  const casePath = '/cases/' + encodeURIComponent(c.id);
  const taskPath = casePath + '/tasks/' + encodeURIComponent(task.id);
  const done = answered(casePath, redraw);
  const panel = h('div', { class: 'task-form' });
  const box = errorBox();
  const name = dn(task.department_id, task.department_name);
  const open = (kind, make) => () => {
    const same = panel.firstChild && panel.firstChild.dataset.kind === kind;
    panel.replaceChildren(...(same ? [] : [make()]));
    panel.querySelector('textarea')?.focus();
  };
  const buttons = [];
  if (perms.urge(task)) {
    buttons.push(h('button', { class: 'btn btn-small', type: 'button', 'data-action': 'urge', onclick: open('urge', () => urgeForm(task, name, done)) }, t('urge')));
  }
  if (perms.lead && active(task) && !task.lead) {
    const b = h('button', { class: 'btn btn-small', type: 'button', 'data-action': 'lead' }, t('set_lead'));
    b.addEventListener('click', () => busy(b, box, async () => done(await post(taskPath + '/lead', {}))));
    buttons.push(b);
  }
  if (perms.drop && waiting(task)) {
    buttons.push(h('button', { class: 'btn btn-small btn-danger', type: 'button', 'data-action': 'drop', onclick: open('drop', () =>
      reasonForm('drop', t('drop_title', name), t('drop_reason'), t('drop_submit'), async (reason) => done(await post(taskPath + '/drop', { reason })))) }, t('drop')));
  }
  const lead = perms.release;
  if (lead && active(task) && task.id !== lead.id && task.department_id !== lead.department_id) {
    buttons.push(h('button', { class: 'btn btn-small', type: 'button', 'data-action': 'release', onclick: open('release', () =>
      reasonForm('release', t('release_title', name), t('release_reason'), t('release_submit'),
        async (reason) => done(await post('/tasks/' + encodeURIComponent(task.id) + '/release', { reason })))) }, t('release')));
  }
  if (!buttons.length) return null;
  return h('div', { class: 'task-actions' }, h('div', { class: 'form-actions' }, buttons), box, panel);
}

// reasonForm asks for a reason, then runs fn(reason).
function reasonForm(kind, title, reasonLabel, submitText, fn) {
  return form({ class: `subcard ${kind}-form`, 'data-kind': kind }, [
    h('h3', {}, title),
    field(reasonLabel, h('textarea', { name: 'reason', rows: 2, required: true, maxlength: 2000 })),
  ], submitText, async (d) => fn(String(d.get('reason')).trim()));
}

// answered redraws the page with the case an action answered, or with the
// case read again when the action answered something else (a task).
function answered(casePath, redraw) {
  return async (res) => redraw(res && Array.isArray(res.tasks) ? res : await get(casePath));
}

// holds tells whether the user is at the level now holding the case (a
// grid worker counts as their community): only it whistles, re-routes,
// answers extensions and escalates, and of it not the grid worker, who
// reports while the secretary decides. The API decides; this only hides
// forms that would be refused.
function holds(me, c) {
  return me.level === c.level && (me.org_unit?.path || '').startsWith(c.holder_org_path || '/');
}

// actions are the forms the user may use in the case's state; each posts,
// then redraws the page with the case. The holder decides; the level above
// answers escalations and unresolvable applications; the unit that
// dispatched a case may recall it; the filer's side verifies and evaluates
// even after an escalation.
function actions(ctx, c, dn, redraw, holder) {
  const me = ctx.me;
  const path = '/cases/' + encodeURIComponent(c.id);
  const done = answered(path, redraw);
  const out = [];
  const tasks = c.tasks || [];
  const mine = me.org_unit?.id;
  const decides = holder && me.role !== 'grid_worker';
  const esc = openEscalation(c);
  const unres = c.unresolvable?.status === 'pending' ? c.unresolvable : null;
  if (!holder) out.push(h('p', { class: 'notice', id: 'held-above' }, t('held_above', label('level', c.level))));
  if (esc) {
    const review = esc.status === 'review';
    if ((review ? esc.from_org_unit_id : esc.to_org_unit_id) === mine && me.role !== 'grid_worker') out.push(escalationAnswer(path, esc, done));
    else {
      out.push(h('p', { class: 'notice', id: 'escalation-waiting' }, t('esc_waiting', label('level', review ? esc.from : esc.to)),
        esc.answer_deadline ? [' · ', t('answer_deadline'), ' ', clock(esc.answer_deadline, { overdue: esc.answer_breached })] : null));
    }
  }
  if (unres && unres.approver_org_unit_id === mine && me.role !== 'grid_worker') out.push(unresolvableAnswer(path, unres, done));
  const d = recallable(c);
  if (d && d.from_org_unit_id === mine && COMMANDERS.includes(me.role)) out.push(recallForm(path, d, done));
  if (c.status === 'pending') return out;
  if (c.status === 'verifying') {
    const doneDepts = [...new Set(tasks.filter((x) => x.status === 'done').map((x) => x.department_id))];
    out.push(verifyForm(path, doneDepts, dn, redraw));
  }
  if (c.status === 'evaluating') {
    const evaluated = new Set((c.evaluations || []).map((e) => e.department_id));
    const doneDepts = [...new Set(tasks.filter((x) => x.status === 'done').map((x) => x.department_id))];
    // 回访 first: the call-back form comes before the evaluations, which
    // then take the resident's satisfaction (callback.js).
    if (callbackPending(c)) {
      out.push(callbackForm(path, c, redraw));
      out.push(h('p', { class: 'notice', id: 'callback-first' }, t('cb_first')));
    } else {
      for (const dept of doneDepts.filter((x) => !evaluated.has(x))) out.push(evaluationForm(path, dept, dn(dept), redraw, c));
    }
  }
  if (c.status === 'open' && decides) {
    for (const task of tasks.filter((x) => x.extension?.status === 'pending')) out.push(extensionAnswer(path, task, dn, redraw));
    for (const task of tasks.filter((x) => x.status === 'return_requested')) out.push(returnAnswer(path, task, dn, done));
    let whistleable = null;
    const loadDepts = () => (whistleable ??= get('/departments' + query({ whistleable: true, case_id: c.id })).then((r) => r.items || []));
    // Departments already working on the case, and one that returned it,
    // are not offered again.
    const onCase = new Set(tasks.filter((x) => waiting(x) || x.status === 'returned' || x.status === 'done').map((x) => x.department_id));
    const offered = () => loadDepts().then((ds) => ds.filter((x) => !onCase.has(x.id)));
    for (const task of tasks.filter((x) => x.status === 'returned' && !x.rerouted)) {
      out.push(summonForm(path, t('reroute_title', dn(task.department_id, task.department_name) + (task.return_reason ? t('colon') + task.return_reason : '')), t('reroute'), offered, redraw, task.id));
    }
    out.push(h('details', { class: 'more' }, h('summary', {}, t('summon_title')), summonForm(path, null, t('summon'), offered, redraw)));
    if (COMMANDERS.includes(me.role) && !esc) {
      out.push(h('details', { class: 'more', id: 'dispatch' }, h('summary', {}, t('dispatch_title')), dispatchForm(path, done)));
    }
    if (!unres) {
      out.push(h('details', { class: 'more', id: 'unresolvable' }, h('summary', {}, t('unres_title')),
        form({ class: 'unresolvable-form', id: 'unresolvable-form' }, [h('p', { class: 'muted' }, t('unres_hint')),
          field(t('reason'), h('textarea', { name: 'reason', rows: 2, required: true, maxlength: 2000 }))], t('unres_apply'),
        async (f) => done(await post(path + '/unresolvable', { reason: String(f.get('reason')).trim() })))));
    }
  }
  if (c.status !== 'closed' && decides && !esc) {
    out.push(h('details', { class: 'more' }, h('summary', {}, t('escalate_title')),
      withConfirm(form({ class: 'escalate-form' }, [field(t('reason'), h('textarea', { name: 'reason', rows: 2, required: true, maxlength: 2000 }))], t('escalate'),
        async (f) => done(await post(path + '/escalate', { reason: String(f.get('reason')).trim() }))), t('confirm_escalate'))));
  }
  return out;
}

// dispatchForm hands the case down to a unit below (派单).
function dispatchForm(path, done) {
  return form({ class: 'dispatch-form', id: 'dispatch-form' }, [
    field(t('dispatch_to'), unitSelect({ id: 'dispatch-to' }), t('dispatch_hint')),
    field(t('reason'), h('textarea', { name: 'reason', rows: 2, maxlength: 2000 })),
  ], t('dispatch_submit'), async (d) => {
    const to = String(d.get('to') || '');
    if (!to) throw new Error(t('dispatch_pick'));
    done(await post(path + '/dispatch', { to, reason: String(d.get('reason') || '').trim() }));
  });
}

function recallForm(path, d, done) {
  return form({ class: 'subcard recall-form', id: 'recall-form' }, [
    h('h3', {}, t('recall_title')),
    h('p', { class: 'muted' }, t('recall_hint', label('level', d.to_level)), d.reason ? ' · ' + d.reason : ''),
    field(t('reason'), h('textarea', { name: 'reason', rows: 2, maxlength: 2000 })),
  ], t('recall_submit'), async (f) => done(await post(path + '/recall', { reason: String(f.get('reason') || '').trim() })));
}

// answerButtons is a comment and two buttons posting {[key]: true|false,
// comment}; saying no needs the comment.
function answerButtons(route, key, [yesText, noText], noNeedsComment, done, attrs) {
  const comment = h('textarea', { name: 'comment', rows: 2, maxlength: 2000 });
  const box = errorBox();
  const send = (yes) => (e) => busy(e.currentTarget, box, async () => {
    if (!yes && !comment.value.trim()) throw new Error(noNeedsComment);
    done(await post(route, { [key]: yes, comment: comment.value.trim() }));
  });
  return [field(attrs.commentLabel || t('comment'), comment), box,
    h('div', { class: 'form-actions' },
      h('button', { class: 'btn btn-primary', type: 'button', 'data-action': attrs.yes, onclick: send(true) }, yesText),
      h('button', { class: 'btn', type: 'button', 'data-action': attrs.no, onclick: send(false) }, noText))];
}

// escalationAnswer: the level above takes the case or sends it back with
// instructions; in review, the asking level's own centre passes it up.
function escalationAnswer(path, e, done) {
  const review = e.status === 'review';
  return h('div', { class: 'subcard', id: 'escalation-answer', 'data-status': e.status },
    h('h3', {}, review ? t('esc_review_title', label('level', e.to)) : t('esc_answer_title', label('level', e.from))),
    h('p', {}, e.reason, h('small', { class: 'muted' }, ` — ${e.by || ''} ${fmtTime(e.at)}`)),
    e.answer_deadline ? h('p', {}, t('answer_deadline'), ' ', clock(e.answer_deadline, { overdue: e.answer_breached })) : null,
    answerButtons(path + '/escalation/answer', 'accept', [review ? t('esc_pass') : t('esc_accept'), t('esc_send_back')], t('esc_needs_comment'), done,
      { yes: 'accept', no: 'send-back', commentLabel: t('instructions') }));
}

function returnAnswer(path, task, dn, done) {
  return h('div', { class: 'subcard return-answer', 'data-task-id': task.id },
    h('h3', {}, t('return_answer_title', dn(task.department_id, task.department_name))),
    h('p', {}, task.return_reason || ''),
    answerButtons(path + '/returns/' + encodeURIComponent(task.id) + '/answer', 'accept', [t('accept_return'), t('refuse_return')], t('refuse_needs_comment'), done,
      { yes: 'accept-return', no: 'refuse-return' }));
}

function unresolvableAnswer(path, u, done) {
  return h('div', { class: 'subcard', id: 'unresolvable-answer' },
    h('h3', {}, t('unres_answer_title')),
    h('p', {}, u.reason, h('small', { class: 'muted' }, ` — ${u.requested_by || ''} ${fmtTime(u.requested_at)}`)),
    answerButtons(path + '/unresolvable/answer', 'approve', [t('unres_approve'), t('unres_refuse')], t('unres_needs_comment'), done,
      { yes: 'approve', no: 'refuse' }));
}

// verifyForm: passed, or failed; a failed verification may name the
// departments whose work failed (only their tasks reopen).
function verifyForm(path, depts, dn, redraw) {
  const comment = h('textarea', { name: 'comment', id: 'verify-comment', rows: 2, maxlength: 2000 });
  const box = errorBox();
  const picks = depts.length > 1 ? h('fieldset', { class: 'field', id: 'verify-departments' }, h('legend', { class: 'field-label' }, t('verify_fail_departments')),
    h('div', { class: 'checks' }, depts.map((id) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'department_ids', value: id }), dn(id))))) : null;
  const send = (passed) => async (e) => {
    const button = e.currentTarget;
    const ids = passed || !picks ? [] : [...picks.querySelectorAll('input:checked')].map((i) => i.value);
    // 不通过 reopens the departments' work: ask first.
    if (!passed && !(await confirmAction(t('confirm_verify_fail', ids.length ? ids.map((id) => dn(id)).join('、') : depts.map((id) => dn(id)).join('、'))))) return;
    await busy(button, box, async () => redraw(await post(path + '/verify', { passed, comment: comment.value.trim(), department_ids: ids.length ? ids : undefined })));
  };
  return h('div', { class: 'subcard', id: 'verify' }, h('h3', {}, t('verify_title')), field(t('comment'), comment), picks, box,
    h('div', { class: 'form-actions' },
      h('button', { class: 'btn btn-primary', type: 'button', id: 'verify-pass', onclick: send(true) }, '✓ ' + t('verify_passed')),
      h('button', { class: 'btn btn-danger', type: 'button', id: 'verify-fail', onclick: send(false) }, t('verify_failed'))));
}

// evaluationForm starts unset: every score and the satisfaction must be
// chosen (a preset ★5 and 满意 would record a score nobody gave), and the
// summary is confirmed before it is sent.
// On a case with a call-back (回访) the satisfaction is the resident's:
// shown, not asked.
function evaluationForm(path, deptID, name, redraw, c) {
  const score = (n) => field(t(n), select(n, [['', t('pick_score')], ...[5, 4, 3, 2, 1].map((v) => [String(v), '★'.repeat(v) + ` ${v}`])], '', { required: true }));
  const resident = c && c.callback_required;
  const residentSat = resident ? (c.callbacks || []).filter((a) => a.reached).map((a) => a.satisfaction).pop() : '';
  const f = form({ class: 'subcard evaluation-form', 'data-dept': deptID }, [
    h('h3', {}, t('evaluate_title', name)),
    h('div', { class: 'row' }, score('timeliness'), score('quality'), score('attitude')),
    resident
      ? h('p', { class: 'notice resident-satisfaction' }, residentSat ? t('cb_from_resident', label('satisfaction', residentSat)) : t('cb_no_resident', label('callback', c.callback)))
      : field(t('satisfaction'), select('satisfaction', [['', t('pick_satisfaction')], ...SATISFACTION.map((s) => [s, label('satisfaction', s)])], '', { required: true })),
    field(t('comment'), h('textarea', { name: 'comment', rows: 2, maxlength: 2000 })),
  ], t('evaluate'), async (d) => redraw(await post(path + '/evaluations', {
    department_id: deptID, timeliness: Number(d.get('timeliness')), quality: Number(d.get('quality')), attitude: Number(d.get('attitude')),
    satisfaction: resident ? undefined : d.get('satisfaction'), comment: String(d.get('comment')).trim(),
  })));
  const satText = (d) => resident ? (residentSat ? label('satisfaction', residentSat) : label('callback', c.callback)) : label('satisfaction', d.get('satisfaction'));
  f.confirmText = (d) => t('confirm_evaluate', name, `${t('timeliness')} ${d.get('timeliness')} · ${t('quality')} ${d.get('quality')} · ${t('attitude')} ${d.get('attitude')} · ${satText(d)}`);
  return f;
}

// withConfirm makes a form ask before it sends (see ui.js form).
function withConfirm(f, text) {
  f.confirmText = text;
  return f;
}

function extensionAnswer(path, task, dn, redraw) {
  const comment = h('input', { name: 'comment', maxlength: 2000 });
  const box = errorBox();
  const send = (grant) => (e) => busy(e.currentTarget, box, async () =>
    redraw(await post(path + '/extensions', { task_id: task.id, grant, comment: comment.value.trim() })));
  return h('div', { class: 'subcard extension-answer', 'data-task-id': task.id },
    h('h3', {}, t('extension_title', dn(task.department_id, task.department_name), fmtTime(task.extension.until))),
    h('p', {}, task.extension.reason), field(t('comment'), comment), box,
    h('div', { class: 'form-actions' },
      h('button', { class: 'btn btn-primary', type: 'button', onclick: send(true) }, t('grant')),
      h('button', { class: 'btn', type: 'button', onclick: send(false) }, t('refuse'))));
}

// summonForm whistles more departments, or re-routes a returned task.
function summonForm(path, title, submitText, loadDepts, redraw, rerouteTaskID) {
  const list = h('div', { class: 'checks' });
  load(list, async () => {
    const depts = await loadDepts();
    if (!depts.length) return h('p', { class: 'muted' }, t('no_departments'));
    return depts.map((d) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'department_ids', value: d.id }), pickName(d)));
  });
  return form({ class: rerouteTaskID ? 'subcard reroute-form' : 'summon-form', 'data-task-id': rerouteTaskID }, [title ? h('h3', {}, title) : null, list], submitText, async (d) => {
    const ids = d.getAll('department_ids');
    if (!ids.length) throw new Error(t('pick_department'));
    redraw(await post(path + '/whistle', { department_ids: ids, reroute_task_id: rerouteTaskID || undefined }));
  });
}
