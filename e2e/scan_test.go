package e2e

import (
	"context"
	"strings"

	"github.com/chromedp/chromedp"
)

// The page scanners: every page a test visits in Chinese is read as a
// Chinese reader would, and measured on a 390 px phone. shot runs them, so
// every page with a screenshot is scanned.

// scanJS lists what a Chinese reader should not meet in the visible text
// of the page: an English word (three Latin letters or more, snake_case
// wire words included) and an RFC 3339 time. Allowed: the brand, the EN
// button, "SLA", the demo admin's username, ids and numbers (a token with a
// digit, "c1-secretary", "SB26120…"), links that show their own address,
// and whatever a page marks translate="no" or shows as code.
const scanJS = `(() => {
	if (document.documentElement.lang !== 'zh-CN') return [];
	const allowed = new Set(['Shaobao', 'EN', 'SLA', 'admin', 'CSV', 'Excel', 'Webhook', 'SMTP', 'Authorization']);
	const rfc3339 = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
	const found = [];
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n = walker.nextNode(); n; n = walker.nextNode()) {
		const el = n.parentElement;
		const text = n.textContent;
		if (!el || !text.trim()) continue;
		if (el.closest('script, style, code, pre, [translate="no"], [hidden]')) continue;
		if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true }) || !el.getClientRects().length) continue;
		const a = el.closest('a');
		if (a && a.textContent.trim() === a.getAttribute('href')) continue;
		if (rfc3339.test(text)) found.push('RFC 3339 time in "' + text.trim().slice(0, 80) + '"');
		for (const tok of text.match(/[A-Za-z0-9_.:\/@+-]+/g) || []) {
			if (/\d/.test(tok) || /^(https?:|mailto:)/.test(tok) || tok.includes('/') && tok.includes('.')) continue; // ids, numbers, links
			for (const w of tok.split(/[.:\/@+-]+/)) {
				if ((w.match(/[A-Za-z]/g) || []).length >= 3 && /^[A-Za-z_]+$/.test(w) && !allowed.has(w)) {
					found.push('"' + w + '" in "' + text.trim().slice(0, 80) + '" (' + el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + String(el.className).split(' ')[0] : '') + ')');
				}
			}
		}
	}
	return [...new Set(found)];
})()`

// overflowJS is how far the page reaches past the right edge of the
// window, in CSS pixels: 0 when nothing makes it scroll sideways.
const overflowJS = `(() => {
	const over = document.documentElement.scrollWidth - window.innerWidth;
	if (over <= 0) return '';
	const wide = [...document.querySelectorAll('#main *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
		.slice(0, 3).map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).split(' ').join('.') : ''));
	return over + ' px too wide: ' + wide.join(', ');
})()`

// scan fails the test on an English word or a raw time in the Chinese
// page, and on a page wider than a 390 px phone.
func (w *walk) scan(where string) {
	w.t.Helper()
	if w.noScan {
		return
	}
	ctx, cancel := context.WithTimeout(w.b.ctx, stepTimeout)
	defer cancel()
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](scanJS))
	if err != nil {
		w.t.Fatalf("scan %s: %v", where, err)
	}
	for _, f := range found {
		w.t.Errorf("%s: %s", where, f)
	}
	// At 390 px: the page itself, whatever the viewport the test uses.
	if !w.inPhone {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
			w.t.Fatalf("phone viewport: %v", err)
		}
		defer func() { _ = chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)) }()
	}
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[string](`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(`+overflowJS+`))))`, chromedp.EvalAwaitPromise))
	if err != nil {
		w.t.Fatalf("measure %s at 390 px: %v", where, err)
	}
	if wide != "" {
		w.t.Errorf("%s at 390 px: %s", where, wide)
	}
}

// checkScanner shows the scanners a page with an English word, a raw time
// and a too-wide element, and fails unless they see all three.
func (w *walk) checkScanner() {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.b.ctx, stepTimeout)
	defer cancel()
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const p = document.createElement('p');
		p.id = 'scanner-sample';
		p.innerHTML = '<span>常规哨 routine · 2026-12-02T14:06:48+08:00 · c1-secretary · SB261202AB12</span><code>go run ./cmd/shaobao</code>';
		document.querySelector('#main').append(p);
		return `+scanJS+`;
	})()`))
	if err != nil {
		w.t.Fatalf("scanner sample: %v", err)
	}
	words := strings.Join(found, "\n")
	if len(found) != 2 || !strings.Contains(words, `"routine"`) || !strings.Contains(words, "RFC 3339") {
		w.t.Errorf("the scanner found %q in the sample, want routine and the RFC 3339 time only", found)
	}
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		document.querySelector('#scanner-sample').style.width = '3000px';
		const r = `+overflowJS+`;
		document.querySelector('#scanner-sample').remove();
		return r;
	})()`))
	if err != nil || wide == "" {
		w.t.Errorf("the width check missed a 3000 px paragraph (%v)", err)
	}
}
