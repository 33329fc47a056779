package store_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

func sampleFile(id, uploader string, size int64, at time.Time) store.File {
	return store.File{ID: id, UploaderID: uploader, UploaderOrgPath: "/110000/", ContentType: "image/jpeg", Size: size,
		SHA256: strings.Repeat("a", 64), ObjectKey: "files/" + id + ".jpg", ThumbnailKey: "thumbs/" + id + ".jpg", CreatedAt: at}
}

func TestFilesReferencesAndQuota(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		lat, lon := 39.9, 116.4
		f := sampleFile("F1", "u-a", 1000, at)
		f.Lat, f.Lon, f.Orientation = &lat, &lon, 6
		for _, row := range []store.File{f, sampleFile("F2", "u-a", 2000, at.Add(time.Hour)), sampleFile("F3", "u-a", 4000, at.Add(-2*time.Hour)),
			sampleFile("F4", "u-b", 8000, at), sampleFile("F5", "u-a", 1, at)} {
			if err := s.CreateFile(ctx, row); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.FileByID(ctx, "F1")
		if err != nil || got.Lat == nil || *got.Lat != lat || got.Orientation != 6 || !got.CreatedAt.Equal(at) || got.ReferencedAt != nil {
			t.Fatalf("FileByID = %+v, %v", got, err)
		}
		if _, err := s.FileByID(ctx, "nope"); whistle.ErrorCode(err) != whistle.ENotFound {
			t.Errorf("unknown file: %v, want not_found", err)
		}
		n, size, err := s.UploadUsage(ctx, "u-a", at.Add(-time.Hour))
		if err != nil || n != 3 || size != 3001 {
			t.Errorf("usage of u-a since 07:00 = %d files %d bytes (%v), want 3 and 3001", n, size, err)
		}
		byID, err := s.FilesByID(ctx, []string{"F1", "F4", "nope"})
		if err != nil || len(byID) != 2 || byID["F4"].UploaderID != "u-b" {
			t.Errorf("FilesByID = %v, %v", byID, err)
		}

		// A case references F1 and F2 as photos (in that order) and F3 as
		// evidence, F2 also as before: projected twice, and a stale write.
		c := sampleCase("c-files", 2, whistle.CaseOpen)
		c.Photos = []string{"F2", "F1"}
		c.Tasks[0].Feedback = &whistle.Feedback{Result: "done", Files: []string{"F3"}, BeforeFiles: []string{"F2"}}
		for _, k := range []whistle.Case{c, c, sampleCase("c-files", 1, whistle.CaseOpen)} {
			if err := s.ApplyCase(ctx, k, nil); err != nil {
				t.Fatal(err)
			}
		}
		var refs []store.CaseFile
		s.DB.Order("file_id, role").Find(&refs)
		want := []string{"F1/photo", "F2/before", "F2/photo", "F3/evidence"}
		var have []string
		for _, r := range refs {
			have = append(have, r.FileID+"/"+r.Role)
		}
		if !slices.Equal(have, want) {
			t.Errorf("references = %v, want %v", have, want)
		}
		read, err := s.Case(ctx, "c-files")
		if err != nil || !slices.Equal(read.Photos, []string{"F2", "F1"}) {
			t.Errorf("case photos = %v (%v), want [F2 F1]", read.Photos, err)
		}
		for id, referenced := range map[string]bool{"F1": true, "F2": true, "F3": true, "F4": false, "F5": false} {
			f, _ := s.FileByID(ctx, id)
			if (f.ReferencedAt != nil) != referenced {
				t.Errorf("%s referenced_at = %v, want referenced %v", id, f.ReferencedAt, referenced)
			}
		}
		// The department's inbox shows the filing's photos, in order.
		tasks, _, err := s.ListTasks(ctx, store.TaskFilter{DepartmentID: c.Tasks[0].DepartmentID, Status: store.AllTaskStatuses})
		if err != nil || len(tasks) != 1 || !slices.Equal(tasks[0].CasePhotos, []string{"F2", "F1"}) {
			t.Errorf("inbox = %+v (%v), want one task with case photos [F2 F1]", tasks, err)
		}
		if cases, err := s.FileCases(ctx, "F2", 10); err != nil || !slices.Equal(cases, []string{"c-files"}) {
			t.Errorf("cases of F2 = %v, %v", cases, err)
		}
		if cases, _ := s.FileCases(ctx, "F4", 10); len(cases) != 0 {
			t.Errorf("cases of F4 = %v, want none", cases)
		}
	})
}

// TestSweepUploads: unreferenced files uploaded before the cutoff go,
// rows and objects; referenced ones and recent ones stay.
func TestSweepUploads(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		blob := store.DirBlob{Root: t.TempDir()}
		now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
		files := map[string]time.Time{
			"old-unreferenced":   now.Add(-25 * time.Hour),
			"older-unreferenced": now.Add(-72 * time.Hour),
			"old-referenced":     now.Add(-48 * time.Hour),
			"recent":             now.Add(-23 * time.Hour),
		}
		for id, at := range files {
			f := sampleFile(id, "u-a", 10, at)
			for _, key := range []string{f.ObjectKey, f.ThumbnailKey} {
				if err := blob.Put(ctx, key, []byte(id), "image/jpeg"); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.CreateFile(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		c := sampleCase("c-sweep", 1, whistle.CaseOpen)
		c.Photos = []string{"old-referenced"}
		if err := s.ApplyCase(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		n, err := s.SweepUploads(ctx, blob, now.Add(-store.UploadTTL), 1)
		if err != nil || n != 1 {
			t.Fatalf("first sweep (limit 1) removed %d (%v), want 1", n, err)
		}
		if n, err = s.SweepUploads(ctx, blob, now.Add(-store.UploadTTL), 100); err != nil || n != 1 {
			t.Fatalf("second sweep removed %d (%v), want 1", n, err)
		}
		if n, _ = s.SweepUploads(ctx, blob, now.Add(-store.UploadTTL), 100); n != 0 {
			t.Errorf("third sweep removed %d, want 0", n)
		}
		for id := range files {
			_, err := s.FileByID(ctx, id)
			_, berr := blob.Get(ctx, "files/"+id+".jpg", 100)
			_, terr := blob.Get(ctx, "thumbs/"+id+".jpg", 100)
			gone := strings.HasSuffix(id, "unreferenced")
			if gone != (whistle.ErrorCode(err) == whistle.ENotFound) || gone != errors.Is(berr, store.ErrBlobNotFound) || gone != errors.Is(terr, store.ErrBlobNotFound) {
				t.Errorf("%s: row %v, object %v, thumbnail %v; want removed %v", id, err, berr, terr, gone)
			}
		}
	})
}

func TestDirBlob(t *testing.T) {
	root := t.TempDir()
	testBlob(t, store.DirBlob{Root: filepath.Join(root, "a")}, store.DirBlob{Root: filepath.Join(root, "b")})
	if err := (store.DirBlob{Root: root}).Put(context.Background(), "../escape", []byte("x"), ""); err == nil {
		t.Error("a key climbing out of the folder was accepted")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(root), "escape")); err == nil {
		t.Error("a file was written outside the folder")
	}
}

// VersityEnv names the versitygw binary the S3 test runs (.ci/versitygw
// prints its path).
const VersityEnv = "SHAOBAO_TEST_VERSITYGW"

// TestS3Blob runs the blob conformance test against a real S3-compatible
// server: Versity Gateway over a temporary folder.
func TestS3Blob(t *testing.T) {
	bin := os.Getenv(VersityEnv)
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: under CI the S3 test must run (bin=$(.ci/versitygw))", VersityEnv)
		}
		t.Skipf("%s not set; S3 test skipped", VersityEnv)
	}
	endpoint := startVersity(t, bin)
	cfg := store.S3Config{Endpoint: endpoint, Bucket: "shaobao", Region: "us-east-1", AccessKey: "AK", SecretKey: "SKsecret"}
	a, err := store.NewS3Blob(withPrefix(cfg, "one/"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.NewS3Blob(withPrefix(cfg, "two"))
	if err != nil {
		t.Fatal(err)
	}
	testBlob(t, a, b)
	wrong, _ := store.NewS3Blob(store.S3Config{Endpoint: endpoint, Bucket: "shaobao", AccessKey: "AK", SecretKey: "wrong"})
	if err := wrong.Put(context.Background(), "files/x", []byte("x"), "image/jpeg"); err == nil {
		t.Error("a wrong secret key was accepted")
	}
}

func withPrefix(c store.S3Config, p string) store.S3Config { c.Prefix = p; return c }

// startVersity starts versitygw on a free loopback port over a temporary
// folder with the bucket "shaobao" made in it, waits until it answers and
// stops it when the test ends.
func startVersity(t *testing.T, bin string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "shaobao"), 0o750); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var out bytes.Buffer
	cmd := exec.Command(bin, "--access", "AK", "--secret", "SKsecret", "--port", addr, "posix", dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	endpoint := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(endpoint + "/")
		if err == nil {
			resp.Body.Close()
			return endpoint
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not answer on %s: %v\n%s", addr, err, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// testBlob is the conformance test every Blob passes; a and b must be two
// stores that do not see each other's keys (two folders, two prefixes).
func testBlob(t *testing.T, a, b store.Blob) {
	ctx := context.Background()
	data := bytes.Repeat([]byte{0xFF, 0xD8, 0x00, 0x42}, 70_000)
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"MissingKeyNotFound", func(t *testing.T) {
			if _, err := a.Get(ctx, "files/none.jpg", 1<<20); !errors.Is(err, store.ErrBlobNotFound) {
				t.Errorf("got %v, want ErrBlobNotFound", err)
			}
		}},
		{"PutGet", func(t *testing.T) {
			if err := a.Put(ctx, "files/F1.jpg", data, "image/jpeg"); err != nil {
				t.Fatal(err)
			}
			got, err := a.Get(ctx, "files/F1.jpg", 1<<20)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("got %d bytes (%v), want the %d put", len(got), err, len(data))
			}
		}},
		{"Replace", func(t *testing.T) {
			if err := a.Put(ctx, "files/F2.jpg", []byte("first"), "image/jpeg"); err != nil {
				t.Fatal(err)
			}
			if err := a.Put(ctx, "files/F2.jpg", []byte("second"), "image/jpeg"); err != nil {
				t.Fatal(err)
			}
			if got, _ := a.Get(ctx, "files/F2.jpg", 100); string(got) != "second" {
				t.Errorf("got %q, want second", got)
			}
		}},
		{"LargerThanMaxRefused", func(t *testing.T) {
			if _, err := a.Get(ctx, "files/F1.jpg", 1000); err == nil || errors.Is(err, store.ErrBlobNotFound) {
				t.Errorf("got %v, want a refusal", err)
			}
		}},
		{"PrefixHonoured", func(t *testing.T) {
			if _, err := b.Get(ctx, "files/F1.jpg", 1<<20); !errors.Is(err, store.ErrBlobNotFound) {
				t.Errorf("the other store sees the key: %v", err)
			}
			if err := b.Put(ctx, "files/F1.jpg", []byte("other"), "image/jpeg"); err != nil {
				t.Fatal(err)
			}
			if got, _ := a.Get(ctx, "files/F1.jpg", 1<<20); !bytes.Equal(got, data) {
				t.Error("a put through the other store changed this one's object")
			}
		}},
		{"Delete", func(t *testing.T) {
			if err := a.Delete(ctx, "files/F1.jpg"); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Get(ctx, "files/F1.jpg", 1<<20); !errors.Is(err, store.ErrBlobNotFound) {
				t.Errorf("after delete: %v, want ErrBlobNotFound", err)
			}
			if got, _ := b.Get(ctx, "files/F1.jpg", 100); string(got) != "other" {
				t.Errorf("delete reached the other store: %q", got)
			}
		}},
		{"DeleteMissingIsNoError", func(t *testing.T) {
			if err := a.Delete(ctx, "files/never.jpg"); err != nil {
				t.Error(err)
			}
		}},
		{"BadKeysRefused", func(t *testing.T) {
			for _, key := range []string{"", "/abs", "a/../b", "a//b", "a b", strings.Repeat("k", 300)} {
				if err := a.Put(ctx, key, []byte("x"), ""); err == nil {
					t.Errorf("key %q accepted", key)
				}
			}
		}},
	}
	for _, s := range steps {
		t.Run(s.name, s.run)
	}
}
