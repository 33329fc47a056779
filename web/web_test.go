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
