// Package web holds Shaobao's pages: plain HTML, CSS and JavaScript
// modules embedded in the binary, with no build step. The pages talk to
// the JSON API under /api/v1 with the bearer token the user signed in with.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// files is the embedded tree rooted at static/.
var files = mustSub(static, "static")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// asset is one embedded file, read once, with its validator.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// Handler serves the pages:
//
//   - GET / and /index.html: the single page;
//   - GET /app and /app/...: the same page (the browser router draws
//     /app/cases/ID, /app/inbox, ... from the path), so a reload or a
//     shared link works;
//   - GET /assets/...: the embedded CSS, JavaScript modules and icons;
//   - anything else: 404; a method other than GET or HEAD: 405.
//
// Every answer carries an ETag and Cache-Control: no-cache, so a browser
// revalidates and a new binary's pages are picked up at once.
//
// imageSources are the CSP sources the page may load images from besides
// itself: the map's tile server (TileSource). Without one the page loads
// nothing from outside, as an air-gapped deployment needs.
func Handler(imageSources ...string) http.Handler {
	csp := contentSecurityPolicy(imageSources)
	assets := map[string]asset{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ct := mime.TypeByExtension(path.Ext(p))
		switch path.Ext(p) { // the platform's MIME table may lack these
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		case ".webmanifest":
			ct = "application/manifest+json"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		assets[p] = asset{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		panic(err)
	}
	page := assets["index.html"]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := r.URL.Path
		switch {
		case p == "/" || p == "/index.html" || p == "/app" || strings.HasPrefix(p, "/app/"):
			serve(w, r, page, csp)
		case strings.HasPrefix(p, "/assets/"):
			a, ok := assets[strings.TrimPrefix(path.Clean(p), "/")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			serve(w, r, a, csp)
		default:
			http.NotFound(w, r)
		}
	})
}

func serve(w http.ResponseWriter, r *http.Request, a asset, csp string) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if strings.HasPrefix(a.contentType, "text/html") {
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
	}
	// ServeContent answers If-None-Match with 304 and HEAD without a body.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// contentSecurityPolicy is the page's policy: everything from itself,
// images also from data: URLs (a photo fetched with a bearer token) and
// from the tile servers named.
func contentSecurityPolicy(imageSources []string) string {
	img := "'self' data:"
	for _, s := range imageSources {
		if s != "" && !strings.ContainsAny(s, " ;,'\"") {
			img += " " + s
		}
	}
	return "default-src 'self'; img-src " + img + "; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
}

// TileSource is the CSP source that lets the page load the tiles of a
// Leaflet URL template ("https://t{s}.example.cn/tiles/{z}/{x}/{y}.png"):
// its scheme and host, a {s} subdomain as a wildcard. It returns "" for a
// template that is not an absolute http(s) URL, and for one on the page's
// own server (a relative path needs nothing).
func TileSource(template string) string {
	host := template
	scheme, rest, ok := strings.Cut(host, "://")
	if !ok || (scheme != "https" && scheme != "http") {
		return ""
	}
	host, _, _ = strings.Cut(rest, "/")
	if i := strings.LastIndex(host, "@"); i >= 0 { // credentials are never part of a source
		host = host[i+1:]
	}
	// A placeholder in the host stands for any one label: *.example.cn.
	labels := strings.Split(host, ".")
	for i, l := range labels {
		if strings.Contains(l, "{") {
			if i != 0 {
				return ""
			}
			labels[i] = "*"
		}
	}
	host = strings.Join(labels, ".")
	u, err := url.Parse(scheme + "://" + strings.Replace(host, "*", "x", 1))
	if err != nil || u.Hostname() == "" || u.Path != "" {
		return ""
	}
	return scheme + "://" + host
}
