package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/shaobao/shaobao/api"
	"github.com/shaobao/shaobao/media"
	"github.com/shaobao/shaobao/media/mediatest"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// newFilesServer is newServer with photo storage in a temporary folder
// and the given quota (zero: the default).
func newFilesServer(t *testing.T, quota api.UploadQuota) (*httptest.Server, *store.Store, store.DirBlob) {
	t.Helper()
	st := storetest.MustOpenSQLite(t)
	storetest.MustSeedDemo(t, st)
	pol, err := policy.New(context.Background(), st.DB)
	if err != nil {
		t.Fatal(err)
	}
	blob := store.DirBlob{Root: t.TempDir()}
	srv := httptest.NewServer((&api.Server{Store: st, Policy: pol, MaxBodyBytes: 4096, Blob: blob, UploadQuota: quota,
		PublicURL: "https://shaobao.example.gov.cn"}).Handler())
	t.Cleanup(srv.Close)
	return srv, st, blob
}

// uploadBody is a multipart body with data in the field "file".
func uploadBody(t testing.TB, name string, data []byte) (string, []byte) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

func upload(t *testing.T, srv *httptest.Server, tok, name string, data []byte) reply {
	t.Helper()
	ct, body := uploadBody(t, name, data)
	return call(t, srv, tok, "POST", "/api/v1/files", string(body), "Content-Type", ct)
}

// fetch GETs path as tok and returns the status, headers and raw body.
func fetch(t *testing.T, srv *httptest.Server, tok, path string, headers ...string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

const gpsLat, gpsLon = 39.95, 116.41

func TestUpload(t *testing.T) {
	srv, st, _ := newFilesServer(t, api.UploadQuota{})
	g1 := token(t, st, "g1-worker")
	withGPS := mediatest.JPEG(800, 600, mediatest.Exif{TakenAt: "2026:12:01 10:30:00", Lat: gpsLat, Lon: gpsLon, Orientation: 6})
	tests := []struct {
		name, filename string
		data           []byte
		status         int
		contentType    string
		gps            bool
		code, mentions string
	}{
		{"JPEGWithGPS", "IMG_0001.jpg", withGPS, 201, media.JPEG, true, "", ""},
		{"PNG", "screen.png", mediatest.PNG(300, 200, mediatest.Exif{}), 201, media.PNG, false, "", ""},
		{"WebP", "photo.webp", mediatest.WebP(mediatest.Exif{Lat: gpsLat, Lon: gpsLon}), 201, media.WebP, true, "", ""},
		{"JPEGNamedPNG", "photo.png", mediatest.JPEG(64, 64, mediatest.Exif{}), 201, media.JPEG, false, "", ""},
		{"RenamedExecutable", "photo.jpg", mediatest.ELF(), 415, "", false, "unsupported_media_type", "只接受 JPEG、PNG 或 WebP"},
		{"HEIC", "IMG_0002.HEIC", mediatest.HEIC(), 415, "", false, "unsupported_media_type", "HEIC/HEIF"},
		{"Corrupt", "photo.jpg", withGPS[:2000], 415, "", false, "unsupported_media_type", "损坏"},
		{"Empty", "photo.jpg", nil, 400, "", false, "invalid", "file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := upload(t, srv, g1, tt.filename, tt.data)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %v", r.status, tt.status, r.body)
			}
			if tt.status != 201 {
				if errCode(r) != tt.code || !strings.Contains(errMessage(r), tt.mentions) {
					t.Errorf("got %s %q, want %s mentioning %q", errCode(r), errMessage(r), tt.code, tt.mentions)
				}
				return
			}
			id, _ := r.body["id"].(string)
			if id == "" || r.body["content_type"] != tt.contentType || r.body["thumbnail_url"] != "/api/v1/files/"+id+"/thumbnail" ||
				len(fmt.Sprint(r.body["sha256"])) != 64 || r.body["size"].(float64) <= 0 {
				t.Errorf("answer %v", r.body)
			}
			lat, hasLat := r.body["lat"].(float64)
			lon, _ := r.body["lon"].(float64)
			if hasLat != tt.gps || (tt.gps && (math.Abs(lat-gpsLat) > 1e-5 || math.Abs(lon-gpsLon) > 1e-5)) {
				t.Errorf("lat/lon = %v/%v, want GPS %v", r.body["lat"], r.body["lon"], tt.gps)
			}
			if tt.name == "JPEGWithGPS" && r.body["taken_at"] != "2026-12-01T02:30:00Z" {
				t.Errorf("taken_at = %v, want 2026-12-01T02:30:00Z (10:30 in Beijing)", r.body["taken_at"])
			}

			// The uploader gets the served bytes: the same picture, no GPS.
			status, h, got := fetch(t, srv, g1, "/api/v1/files/"+id)
			if status != 200 {
				t.Fatalf("GET as uploader: %d %s", status, got)
			}
			if h.Get("Content-Type") != tt.contentType || h.Get("X-Content-Type-Options") != "nosniff" ||
				h.Get("Content-Disposition") != `inline; filename="`+id+"."+media.Ext(tt.contentType)+`"` ||
				h.Get("Cache-Control") != "private, max-age=31536000, immutable" || h.Get("ETag") != `"`+r.body["sha256"].(string)+`"` {
				t.Errorf("headers %v", h)
			}
			if int64(len(got)) != int64(r.body["size"].(float64)) || bytes.Contains(got, []byte(mediatest.Secret)) {
				t.Errorf("served %d bytes (answer said %v), metadata text left: %v", len(got), r.body["size"], bytes.Contains(got, []byte(mediatest.Secret)))
			}
			again, err := media.Process(got)
			if err != nil || again.Meta.Lat != nil || again.Meta.TakenAt != nil {
				t.Errorf("served file: %v, meta %+v: want an image without time or GPS", err, again.Meta)
			}
			status, h, thumb := fetch(t, srv, g1, "/api/v1/files/"+id+"/thumbnail")
			if _, err := jpeg.Decode(bytes.NewReader(thumb)); status != 200 || err != nil || h.Get("Content-Type") != "image/jpeg" {
				t.Errorf("thumbnail: %d %s %v", status, h.Get("Content-Type"), err)
			}
		})
	}
}

func TestUploadTooLarge(t *testing.T) {
	srv, st, _ := newFilesServer(t, api.UploadQuota{})
	g1 := token(t, st, "g1-worker")
	big := append(mediatest.JPEG(64, 64, mediatest.Exif{}), make([]byte, 20<<20)...)
	ct, body := uploadBody(t, "big.jpg", big)
	t.Run("DeclaredLength", func(t *testing.T) {
		r := call(t, srv, g1, "POST", "/api/v1/files", string(body), "Content-Type", ct)
		if r.status != 413 || errCode(r) != "too_large" || !strings.Contains(errMessage(r), "10 MB") {
			t.Errorf("got %d %s %q, want 413 too_large", r.status, errCode(r), errMessage(r))
		}
	})
	t.Run("Chunked", func(t *testing.T) {
		// No Content-Length: refused once more than the limit is read.
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/files", io.MultiReader(bytes.NewReader(body)))
		req.ContentLength = -1
		req.Header.Set("Authorization", "Bearer "+g1)
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var env struct{ Error struct{ Code string } }
		json.NewDecoder(resp.Body).Decode(&env)
		if resp.StatusCode != 413 || env.Error.Code != "too_large" {
			t.Errorf("got %d %q, want 413 too_large", resp.StatusCode, env.Error.Code)
		}
	})
	t.Run("NotMultipart", func(t *testing.T) {
		r := call(t, srv, g1, "POST", "/api/v1/files", `{"file":"x"}`)
		if r.status != 400 || !strings.Contains(errMessage(r), "multipart/form-data") {
			t.Errorf("got %d %q", r.status, errMessage(r))
		}
	})
	var n int64
	st.DB.Model(&store.File{}).Count(&n)
	if n != 0 {
		t.Errorf("%d files recorded by refused uploads", n)
	}
}

func TestUploadQuota(t *testing.T) {
	srv, st, _ := newFilesServer(t, api.UploadQuota{Files: 2, Bytes: 1 << 30})
	g1, c1 := token(t, st, "g1-worker"), token(t, st, "c1-secretary")
	photo := mediatest.JPEG(64, 64, mediatest.Exif{})
	for i := 0; i < 2; i++ {
		if r := upload(t, srv, g1, "a.jpg", photo); r.status != 201 {
			t.Fatalf("upload %d: %d %v", i, r.status, r.body)
		}
	}
	r := upload(t, srv, g1, "a.jpg", photo)
	if r.status != 429 || errCode(r) != "rate_limited" || !strings.Contains(errMessage(r), "上限") {
		t.Errorf("third upload: %d %s %q, want 429 rate_limited", r.status, errCode(r), errMessage(r))
	}
	if r := upload(t, srv, c1, "a.jpg", photo); r.status != 201 {
		t.Errorf("another user's upload: %d, want 201 (the quota is per user)", r.status)
	}

	srv2, st2, _ := newFilesServer(t, api.UploadQuota{Files: 100, Bytes: int64(len(photo)) + 100})
	g1 = token(t, st2, "g1-worker")
	upload(t, srv2, g1, "a.jpg", photo)
	if r := upload(t, srv2, g1, "a.jpg", photo); r.status != 429 {
		t.Errorf("over the byte quota: %d, want 429", r.status)
	}
}

func TestParseUploadQuota(t *testing.T) {
	for in, want := range map[string]api.UploadQuota{"300/1GiB": {300, 1 << 30}, "50/200MB": {50, 200e6}, " 10 / 512KiB ": {10, 512 << 10}, "1/100": {1, 100}} {
		if got, err := api.ParseUploadQuota(in); err != nil || got != want {
			t.Errorf("%q = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "300", "0/1GiB", "-1/1GiB", "300/0", "300/1TB", "x/1GiB", "300/1 GiBs"} {
		if _, err := api.ParseUploadQuota(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// TestFileVisibility: an upload is its uploader's until a case references
// it; then whoever may see the case sees it, anyone else gets the 404 of
// an unknown id. The case is projected by the real projection
// (store.ApplyCase) as the worker writes it; integration/files_test.go
// files it through the workflow.
func TestFileVisibility(t *testing.T) {
	srv, st, _ := newFilesServer(t, api.UploadQuota{})
	tok := map[string]string{}
	for _, u := range []string{"g1-worker", "c1-secretary", "d1-commander", "d2-supervisor", "c3-secretary", "s1-police", "city-commander"} {
		tok[u] = token(t, st, u)
	}
	r := upload(t, srv, tok["g1-worker"], "a.jpg", mediatest.JPEG(640, 480, mediatest.Exif{Lat: gpsLat, Lon: gpsLon}))
	id := r.body["id"].(string)
	path := "/api/v1/files/" + id
	unknown := "/api/v1/files/FDOESNOTEXIST"
	_, _, unknownBody := fetch(t, srv, tok["d2-supervisor"], unknown)

	check := func(t *testing.T, want map[string]int) {
		t.Helper()
		for user, status := range want {
			for _, p := range []string{path, path + "/thumbnail"} {
				got, _, body := fetch(t, srv, tok[user], p)
				if got != status {
					t.Errorf("%s GET %s: %d, want %d", user, p, got, status)
				}
				if status == 404 && !bytes.Contains(body, []byte(`"not_found"`)) {
					t.Errorf("%s: 404 without the envelope: %s", user, body)
				}
			}
		}
	}
	t.Run("BeforeReference", func(t *testing.T) {
		check(t, map[string]int{"g1-worker": 200, "c1-secretary": 404, "d1-commander": 404, "city-commander": 404, "d2-supervisor": 404})
		// The same answer as for an id that does not exist, but the id.
		_, _, body := fetch(t, srv, tok["d2-supervisor"], path)
		if string(bytes.ReplaceAll(body, []byte(id), []byte("FDOESNOTEXIST"))) != string(bytes.ReplaceAll(unknownBody, []byte(requestIDOf(unknownBody)), []byte(requestIDOf(body)))) {
			t.Errorf("not yours %s differs from unknown %s", body, unknownBody)
		}
	})

	// g1-worker's case in their grid (community 1, district 1) with the photo.
	at := time.Now().UTC()
	c := whistle.Case{ID: "SBFILES1", Title: "占道经营", Source: whistle.SourceGrid, Class: whistle.ClassRoutine, Status: whistle.CaseOpen,
		Level: whistle.LevelCommunity, OrgUnitID: "110101001001001", OrgPath: "/110000/110101/110101001/110101001001/110101001001001/",
		HolderOrgUnitID: "110101001001", HolderOrgPath: "/110000/110101/110101001/110101001001/", FiledBy: "g1-worker",
		CreatedAt: at, UpdatedAt: at, Seq: 1, Photos: []string{id}}
	if err := st.ApplyCase(context.Background(), c, nil); err != nil {
		t.Fatal(err)
	}
	t.Run("AfterReference", func(t *testing.T) {
		check(t, map[string]int{"g1-worker": 200, "c1-secretary": 200, "d1-commander": 200, "city-commander": 200,
			"d2-supervisor": 404, "c3-secretary": 404,
			// A clerk with no task on the case: 404 too, never a 403 that
			// would say the file exists.
			"s1-police": 404})
	})
	t.Run("Range", func(t *testing.T) {
		status, h, body := fetch(t, srv, tok["c1-secretary"], path, "Range", "bytes=0-99")
		if status != 206 || len(body) != 100 || !strings.HasPrefix(h.Get("Content-Range"), "bytes 0-99/") {
			t.Errorf("range: %d, %d bytes, Content-Range %q", status, len(body), h.Get("Content-Range"))
		}
		status, _, _ = fetch(t, srv, tok["c1-secretary"], path, "If-None-Match", h.Get("ETag"))
		if status != 304 {
			t.Errorf("If-None-Match the ETag: %d, want 304", status)
		}
	})
	t.Run("CaseShowsPhotos", func(t *testing.T) {
		r := call(t, srv, tok["c1-secretary"], "GET", "/api/v1/cases/SBFILES1", "")
		if photos, _ := r.body["photos"].([]any); len(photos) != 1 || photos[0] != id {
			t.Errorf("case photos = %v", r.body["photos"])
		}
	})
}

func requestIDOf(body []byte) string {
	var env struct {
		Error struct {
			RequestID string `json:"request_id"`
		}
	}
	json.Unmarshal(body, &env)
	return env.Error.RequestID
}

// TestFileReferencesRefused: a filing or a feedback naming a file that is
// not the caller's upload is refused with 422 naming it, before any
// workflow is asked (there is no Temporal here), and changes nothing.
func TestFileReferencesRefused(t *testing.T) {
	srv, st, _ := newFilesServer(t, api.UploadQuota{})
	g1, c1, police := token(t, st, "g1-worker"), token(t, st, "c1-secretary"), token(t, st, "s1-police")
	photo := mediatest.JPEG(64, 64, mediatest.Exif{})
	mine := upload(t, srv, c1, "a.jpg", photo).body["id"].(string)
	theirs := upload(t, srv, g1, "a.jpg", photo).body["id"].(string)
	clerks := upload(t, srv, police, "a.jpg", photo).body["id"].(string)
	filing := func(photos ...string) string {
		b, _ := json.Marshal(photos)
		return `{"title":"占道经营","source":"grid","class":"routine","department_ids":["s1-citymgmt"],"location":{"address":"和平里1号"},"photos":` + string(b) + `}`
	}
	// A case with a task of s1-police, as the projection writes it.
	at := time.Now().UTC()
	k := whistle.Case{ID: "SBFB1", Title: "噪音", Source: whistle.SourceGrid, Class: whistle.ClassRoutine, Status: whistle.CaseOpen,
		Level: whistle.LevelCommunity, OrgUnitID: "110101001001", OrgPath: "/110000/110101/110101001/110101001001/",
		HolderOrgUnitID: "110101001001", HolderOrgPath: "/110000/110101/110101001/110101001001/", FiledBy: "c1-secretary",
		CreatedAt: at, UpdatedAt: at, Seq: 1,
		Tasks: []whistle.Task{{ID: "SBFB1-t1", CaseID: "SBFB1", DepartmentID: "s1-police", Status: whistle.TaskReported, SummonedAt: at,
			ReportDeadline: at.Add(time.Hour), HandleDeadline: at.Add(72 * time.Hour)}}}
	if err := st.ApplyCase(context.Background(), k, nil); err != nil {
		t.Fatal(err)
	}
	ten := make([]string, 10)
	for i := range ten {
		ten[i] = fmt.Sprintf("F%d", i)
	}
	tests := []struct {
		name, tok, path, body string
		status                int
		mentions              string
	}{
		{"FilingAnothersUpload", c1, "/api/v1/cases", filing(mine, theirs), 422, theirs},
		{"FilingUnknownFile", c1, "/api/v1/cases", filing("FNOPE"), 422, "FNOPE"},
		{"FilingTwice", c1, "/api/v1/cases", filing(mine, mine), 422, mine},
		{"FilingTenPhotos", c1, "/api/v1/cases", filing(ten...), 400, "照片"},
		{"FeedbackAnothersEvidence", police, "/api/v1/tasks/SBFB1-t1/feedback", `{"result":"已处理","evidence_files":["` + mine + `"]}`, 422, "处置后照片"},
		{"FeedbackAnothersBefore", police, "/api/v1/tasks/SBFB1-t1/feedback", `{"result":"已处理","evidence_files":["` + clerks + `"],"before_files":["` + theirs + `"]}`, 422, "处置前照片"},
		// The policy answers before the files are looked at.
		{"FeedbackNotYourTask", g1, "/api/v1/tasks/SBFB1-t1/feedback", `{"result":"已处理","evidence_files":["` + theirs + `"]}`, 403, "反馈"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, tt.tok, "POST", tt.path, tt.body)
			if r.status != tt.status || !strings.Contains(errMessage(r), tt.mentions) {
				t.Fatalf("got %d %s %q, want %d mentioning %q", r.status, errCode(r), errMessage(r), tt.status, tt.mentions)
			}
			if tt.status == 422 {
				en := call(t, srv, tt.tok, "POST", tt.path, tt.body, "Accept-Language", "en")
				if en.status != 422 || errCode(en) != "invalid_file" || !strings.Contains(errMessage(en), "file") {
					t.Errorf("in English: %d %s %q", en.status, errCode(en), errMessage(en))
				}
			}
		})
	}
	var cases, referenced int64
	st.DB.Model(&store.CaseRow{}).Count(&cases)
	st.DB.Model(&store.File{}).Where("referenced_at IS NOT NULL").Count(&referenced)
	if cases != 1 || referenced != 0 {
		t.Errorf("refused requests wrote %d cases (want the 1 projected) and referenced %d files", cases, referenced)
	}
}

// TestFilesContract: the uploads' answers, and a filing naming a file,
// fit the document.
func TestFilesContract(t *testing.T) {
	for _, ct := range []string{"image/jpeg", "image/png", "image/webp"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
	srv, st, _ := newFilesServer(t, api.UploadQuota{Files: 3, Bytes: 1 << 30})
	k := newContract(t, srv)
	g1, d2 := token(t, st, "g1-worker"), token(t, st, "d2-supervisor")
	ct, body := uploadBody(t, "a.jpg", mediatest.JPEG(640, 480, mediatest.Exif{TakenAt: "2026:12:01 10:30:00", Lat: gpsLat, Lon: gpsLon}))
	id := jsonField(t, k.do(g1, "POST", "/api/v1/files", ct, string(body), 201), "id")
	ct2, png := uploadBody(t, "b.png", mediatest.PNG(50, 50, mediatest.Exif{}))
	k.do(g1, "POST", "/api/v1/files", ct2, string(png), 201)
	ct3, webp := uploadBody(t, "c.webp", mediatest.WebP(mediatest.Exif{}))
	k.do(g1, "POST", "/api/v1/files", ct3, string(webp), 201)
	k.do(g1, "POST", "/api/v1/files", ct, string(body), 429)
	ctx, elf := uploadBody(t, "x.jpg", mediatest.ELF())
	k.do(d2, "POST", "/api/v1/files", ctx, string(elf), 415)
	k.do(d2, "POST", "/api/v1/files", "application/json", `{}`, 400)
	k.do(g1, "GET", "/api/v1/files/"+id, "", "", 200)
	k.do(g1, "GET", "/api/v1/files/"+id+"/thumbnail", "", "", 200)
	k.do(d2, "GET", "/api/v1/files/"+id, "", "", 404)
	k.do("", "GET", "/api/v1/files/"+id, "", "", 401)
	k.do(g1, "POST", "/api/v1/cases", "application/json",
		`{"title":"占道经营","source":"grid","class":"routine","location":{"address":"和平里1号"},"photos":["FNOPE"]}`, 422)
}
