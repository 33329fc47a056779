package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	h := Handler()
	tests := []struct {
		name, method, path string
		status             int
		contentType        string
		contains           string
	}{
		{"Root", "GET", "/", 200, "text/html", `src="/assets/js/app.js"`},
		{"IndexHTML", "GET", "/index.html", 200, "text/html", "哨报"},
		{"AppRoot", "GET", "/app", 200, "text/html", "哨报"},
		{"AppDeepLink", "GET", "/app/cases/SB260101ABCDEF", 200, "text/html", `type="module"`},
		{"Script", "GET", "/assets/js/app.js", 200, "text/javascript", "import"},
		{"IntakeScript", "GET", "/assets/js/intake.js", 200, "text/javascript", "export function intakeView"},
		{"IntakeDeepLink", "GET", "/app/intake", 200, "text/html", `type="module"`},
		{"Stylesheet", "GET", "/assets/app.css", 200, "text/css", ".topbar"},
		{"Icon", "GET", "/assets/icon.svg", 200, "image/svg+xml", "<svg"},
		{"MapPage", "GET", "/assets/js/map.js", 200, "text/javascript", "export function mapView"},
		{"MapBundle", "GET", "/assets/vendor/map.js", 200, "text/javascript", "Leaflet 1.9.4"},
		{"MapStyles", "GET", "/assets/vendor/map.css", 200, "text/css", ".leaflet-container"},
		{"MapImage", "GET", "/assets/vendor/images/layers.png", 200, "image/png", "PNG"},
		{"MapDeepLink", "GET", "/app/map", 200, "text/html", `type="module"`},
		{"Head", "HEAD", "/app/inbox", 200, "text/html", ""},
		{"MissingAsset", "GET", "/assets/js/nope.js", 404, "", ""},
		{"Traversal", "GET", "/assets/../web.go", 404, "", ""},
		{"UnknownPath", "GET", "/nope", 404, "", ""},
		{"APIPathIsNotOurs", "GET", "/api/v1/unknown", 404, "", ""},
		{"Post", "POST", "/app/cases", 405, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.status {
				t.Fatalf("%s %s: status %d, want %d", tc.method, tc.path, rec.Code, tc.status)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("Content-Type %q, want %q", ct, tc.contentType)
			}
			if !strings.Contains(rec.Body.String(), tc.contains) {
				t.Errorf("body does not contain %q", tc.contains)
			}
			if tc.method == "HEAD" && rec.Body.Len() != 0 {
				t.Errorf("HEAD answered with a body")
			}
		})
	}
}

func TestHandlerRevalidates(t *testing.T) {
	h := Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/assets/js/api.js", nil))
	etag := rec.Header().Get("ETag")
	if etag == "" || rec.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("ETag %q, Cache-Control %q: want an ETag and no-cache", etag, rec.Header().Get("Cache-Control"))
	}
	req := httptest.NewRequest("GET", "/assets/js/api.js", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Fatalf("If-None-Match: status %d, want 304", rec.Code)
	}
}

// TestModuleImports checks every relative import of every module names an
// embedded file: a typo would otherwise only show as a blank page.
func TestModuleImports(t *testing.T) {
	imports := regexp.MustCompile(`(?m)^import .* from '(\./[^']+)';`)
	err := fs.WalkDir(files, "assets/js", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		for _, m := range imports.FindAllStringSubmatch(string(src), -1) {
			target := "assets/js/" + strings.TrimPrefix(m[1], "./")
			if _, err := fs.Stat(files, target); err != nil {
				t.Errorf("%s imports %s: %v", p, m[1], err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	tests := []struct {
		name    string
		sources []string
		want    string
	}{
		{"NoTiles", nil, "img-src 'self' data:;"},
		{"TileServer", []string{"https://*.tianditu.gov.cn"}, "img-src 'self' data: https://*.tianditu.gov.cn;"},
		{"InjectionDropped", []string{"https://a.cn; script-src *"}, "img-src 'self' data:;"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Handler(tc.sources...).ServeHTTP(rec, httptest.NewRequest("GET", "/app/map", nil))
			csp := rec.Header().Get("Content-Security-Policy")
			if !strings.Contains(csp, tc.want) || !strings.Contains(csp, "script-src 'self';") {
				t.Errorf("CSP %q, want %q and script-src 'self'", csp, tc.want)
			}
		})
	}
}

func TestTileSource(t *testing.T) {
	tests := []struct{ name, template, want string }{
		{"Tianditu", "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}", "https://*.tianditu.gov.cn"},
		{"CityServer", "http://tiles.city.gov.cn:8080/{z}/{x}/{y}.png", "http://tiles.city.gov.cn:8080"},
		{"Credentials", "https://user:pw@tiles.example.cn/{z}/{x}/{y}.png", "https://tiles.example.cn"},
		{"Relative", "/tiles/{z}/{x}/{y}.png", ""},
		{"PlaceholderNotFirst", "https://tiles.{s}.cn/{z}/{x}/{y}.png", ""},
		{"NotHTTP", "ftp://tiles.example.cn/{z}.png", ""},
		{"Empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := TileSource(tc.template); got != tc.want {
				t.Errorf("TileSource(%q) = %q, want %q", tc.template, got, tc.want)
			}
		})
	}
}
