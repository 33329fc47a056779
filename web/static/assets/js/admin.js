// admin.js — the admin side: the SLA policy of each whistle class, edited
// in place (PUT /admin/sla-policies/{class}).
import { get, put } from './api.js';
import { t, label } from './i18n.js';
import { h, form, field, badge, load } from './ui.js';

const ORDER = ['emergency', 'key', 'routine', 'coordination'];

export function slaView() {
  const body = h('div', { id: 'sla' });
  load(body, async () => {
    const res = await get('/admin/sla-policies');
    const rows = [...(res.items || [])].sort((a, b) => ORDER.indexOf(a.class) - ORDER.indexOf(b.class) || String(a.level).localeCompare(String(b.level)));
    if (!rows.length) return h('p', { class: 'empty' }, t('none'));
    return h('ul', { class: 'cards sla-cards' }, rows.map(policyCard));
  });
  return h('div', { class: 'page' }, h('h1', {}, t('admin_title')), h('p', { class: 'muted' }, t('admin_hint')), body);
}

function policyCard(p) {
  const card = h('li', { class: 'card', 'data-class': p.class, 'data-level': p.level || '' });
  const draw = (p) => {
    const saved = h('span', { class: 'saved', hidden: true }, '✓ ' + t('saved'));
    const f = form({ class: 'sla-form' }, [
      h('div', { class: 'row' },
        field(t('report_within'), h('input', { name: 'report_within', value: p.report_within, required: true, maxlength: 16, pattern: '[0-9hmsd.]+' })),
        field(t('handle_within'), h('input', { name: 'handle_within', value: p.handle_within, required: true, maxlength: 16, pattern: '[0-9hmsd.]+' }))),
      h('p', { class: 'muted' }, `${t('evaluate_within')} ${p.evaluate_within || '—'} · ${t('default_satisfaction')} ${label('satisfaction', p.default_satisfaction) || '—'}`
        + (p.updated_by ? ` · ${t('updated_by')} ${p.updated_by}` : '')),
    ], t('save'), async (d) => {
      const body = { report_within: String(d.get('report_within')).trim(), handle_within: String(d.get('handle_within')).trim() };
      if (p.level) body.level = p.level;
      const updated = await put('/admin/sla-policies/' + encodeURIComponent(p.class), body);
      draw(updated);
      card.querySelector('.saved').hidden = false;
    }, [saved]);
    card.replaceChildren(
      h('div', { class: 'case-card-head' }, h('h3', {}, label('class', p.class)),
        h('div', { class: 'badges' }, h('span', { class: 'badge' }, p.level ? label('level', p.level) : t('all_levels')),
          badge('clock', p.working_time ? 'working' : 'wall', ''))),
      f);
  };
  draw(p);
  return card;
}
