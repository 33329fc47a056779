// photos.js — photos from the phone: a picker that opens the camera,
// uploads each photo to POST /api/v1/files with its progress and keeps the
// ids; thumbnails; and a full view on tap (Esc or ✕ closes it). Files are
// served only to callers who may see the case, so an image is asked for
// with the user's sign-in: the session cookie goes with a plain <img>; a
// pasted bearer token cannot, so then the image is fetched and shown as a
// data: URL (the page's CSP allows 'self' and data: images only).
import { ApiError, authHeaders, token } from './api.js';
import { lang, t } from './i18n.js';
import { h } from './ui.js';

// MAX_PHOTOS is what a filing or a feedback takes (the API's limit).
export const MAX_PHOTOS = 9;

export const fileURL = (id) => '/api/v1/files/' + encodeURIComponent(id);
export const thumbURL = (id) => fileURL(id) + '/thumbnail';

// authImage returns an <img> of url, loaded with the user's sign-in.
export function authImage(url, attrs = {}) {
  const img = h('img', { alt: '', decoding: 'async', ...attrs });
  if (!token()) {
    img.src = url;
    return img;
  }
  img.classList.add('loading-img');
  fetch(url, { headers: authHeaders('GET'), credentials: 'same-origin' })
    .then((res) => (res.ok ? res.blob() : Promise.reject(new Error(String(res.status)))))
    .then((blob) => new Promise((resolve, reject) => {
      const r = new FileReader();
      r.onload = () => resolve(r.result);
      r.onerror = () => reject(r.error);
      r.readAsDataURL(blob);
    }))
    .then((src) => { img.src = src; })
    .catch(() => { img.classList.add('broken'); img.alt = t('photo_unavailable'); })
    .finally(() => img.classList.remove('loading-img'));
  return img;
}

// thumbnail is a tappable thumbnail of file id that opens the full view.
export function thumbnail(id, extra = {}) {
  const b = h('button', { class: 'thumb', type: 'button', 'data-file-id': id, 'aria-label': t('photo_open'), ...extra },
    authImage(thumbURL(id), { width: 96, height: 96, loading: 'lazy' }));
  b.addEventListener('click', () => viewer(id, b));
  return b;
}

// thumbnails is a row of thumbnails, or nothing without ids.
export function thumbnails(ids, attrs = {}) {
  if (!ids?.length) return null;
  return h('div', { class: 'thumbs', ...attrs }, ids.map((id) => thumbnail(id)));
}

// beforeAfter shows a feedback's before and after photos side by side,
// pair by pair (处置前 / 处置后).
export function beforeAfter(before = [], after = []) {
  if (!before.length && !after.length) return null;
  const rows = [];
  for (let i = 0; i < Math.max(before.length, after.length); i++) {
    rows.push(h('div', { class: 'pair' },
      before[i] ? thumbnail(before[i], { 'data-side': 'before' }) : h('span', { class: 'thumb-empty' }),
      after[i] ? thumbnail(after[i], { 'data-side': 'after' }) : h('span', { class: 'thumb-empty' })));
  }
  return h('div', { class: 'before-after' },
    h('div', { class: 'pair pair-head' }, h('b', {}, t('photos_before')), h('b', {}, t('photos_after'))), rows);
}

// viewer shows the full image over the page until ✕, a tap outside it or
// Esc; focus returns to the thumbnail.
function viewer(id, from) {
  const close = h('button', { class: 'btn viewer-close', type: 'button', 'aria-label': t('close') }, '✕');
  const overlay = h('div', { class: 'viewer', id: 'photo-viewer', role: 'dialog', 'aria-modal': 'true', 'aria-label': t('photo_full') },
    authImage(fileURL(id), { class: 'viewer-img', alt: t('photo_full') }), close);
  const done = () => {
    overlay.remove();
    document.removeEventListener('keydown', onKey, true);
    from?.focus();
  };
  const onKey = (e) => {
    if (e.key === 'Escape') { e.preventDefault(); done(); }
    if (e.key === 'Tab') { e.preventDefault(); close.focus(); } // the dialog holds the focus
  };
  close.addEventListener('click', done);
  overlay.addEventListener('click', (e) => { if (e.target === overlay) done(); });
  document.addEventListener('keydown', onKey, true);
  document.body.append(overlay);
  close.focus();
}

// upload sends one file to POST /api/v1/files, reporting progress (0..1),
// and resolves with the API's answer or rejects with an ApiError carrying
// the API's message. XMLHttpRequest, not fetch: fetch reports no upload
// progress.
export function upload(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/files');
    const hs = { ...authHeaders('POST'), 'Accept': 'application/json', 'Accept-Language': lang() === 'en' ? 'en' : 'zh-CN' };
    for (const [k, v] of Object.entries(hs)) xhr.setRequestHeader(k, v);
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    xhr.addEventListener('load', () => {
      const body = xhr.response;
      if (xhr.status === 201 || xhr.status === 200) return resolve(body);
      const e = body?.error;
      reject(e?.message ? new ApiError(xhr.status, e.code || '', e.message) : new ApiError(xhr.status, 'http_' + xhr.status, t('unexpected', xhr.status)));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network', t('network_error'))));
    const data = new FormData();
    data.append('file', file, file.name);
    xhr.send(data);
  });
}

// photoPicker is a field for up to max photos (labelText; buttonText on
// its button, 添加照片 by default): the camera (or the gallery), one upload per photo with its progress, thumbnails with
// remove. picker.ids() are the uploaded ids in order; picker.pending()
// tells whether an upload is still under way. onUploaded(answer) hears of
// each upload (its EXIF time and place, if any).
export function photoPicker({ id, labelText, buttonText, hint, max = MAX_PHOTOS, onUploaded } = {}) {
  const input = h('input', { type: 'file', id, accept: 'image/*', capture: 'environment', multiple: true, class: 'file-input' });
  const list = h('ul', { class: 'photo-list', id: id + '-list' });
  const box = h('p', { class: 'error', role: 'alert', hidden: true });
  const count = () => list.querySelectorAll('li:not(.failed)').length;
  const pick = h('label', { class: 'btn photo-pick', for: id }, buttonText || t('photos_add'));
  const sync = () => {
    const full = count() >= max;
    input.disabled = full;
    pick.classList.toggle('disabled', full);
  };
  input.addEventListener('change', () => {
    box.hidden = true;
    const files = [...input.files];
    input.value = ''; // the same photo may be picked again after a remove
    const room = max - count();
    if (files.length > room) {
      box.textContent = t('photos_too_many', max);
      box.hidden = false;
    }
    for (const file of files.slice(0, Math.max(0, room))) list.append(item(file));
    sync();
  });
  function item(file) {
    const bar = h('progress', { max: 1, value: 0 });
    const remove = h('button', { class: 'photo-remove', type: 'button', 'aria-label': t('photo_remove'), title: t('photo_remove') }, '✕');
    const li = h('li', { class: 'photo-item uploading', 'data-name': file.name }, h('span', { class: 'photo-name' }, file.name), bar, remove);
    remove.addEventListener('click', () => { li.remove(); sync(); });
    upload(file, (p) => { bar.value = p; }).then((f) => {
      li.classList.remove('uploading');
      li.dataset.fileId = f.id;
      li.replaceChildren(thumbnail(f.id), remove);
      onUploaded?.(f, li);
    }, (err) => {
      li.classList.remove('uploading');
      li.classList.add('failed');
      li.replaceChildren(h('span', { class: 'photo-name' }, file.name), h('small', { class: 'error-text' }, err.message), remove);
      sync();
    });
    return li;
  }
  const el = h('div', { class: 'field photo-field' }, h('span', { class: 'field-label' }, labelText),
    h('div', { class: 'photo-actions' }, input, pick, h('small', { class: 'hint' }, hint || t('photos_hint', max))), list, box);
  return {
    el,
    ids: () => [...list.querySelectorAll('li[data-file-id]')].map((li) => li.dataset.fileId),
    pending: () => list.querySelector('li.uploading') !== null,
  };
}
