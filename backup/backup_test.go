package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// openWAL opens (creating) a SQLite database in WAL mode, as the store
// and the embedded Temporal server do, with a table t.
func openWAL(t *testing.T, path string) *sql.DB {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec("CREATE TABLE t (i INTEGER PRIMARY KEY, pad BLOB)"); err != nil {
		t.Fatal(err)
	}
	return db
}

func count(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// dataFolder makes a data folder like dev's: two databases, the secret
// key and an uploaded file, and returns the two databases.
func dataFolder(t *testing.T) (dir string, shaobao, temporal *sql.DB) {
	t.Helper()
	dir = t.TempDir()
	shaobao = openWAL(t, filepath.Join(dir, "shaobao.db"))
	temporal = openWAL(t, filepath.Join(dir, "temporal", "temporal.db"))
	if err := os.WriteFile(filepath.Join(dir, "secret.key"), []byte("0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "files", "files"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "files", "files", "f1.jpg"), []byte("a photo"), 0o640); err != nil {
		t.Fatal(err)
	}
	return dir, shaobao, temporal
}

// TestCreateCopiesBothDatabasesAtOneInstant: a writer commits row i to
// Shaobao's database, then row i to Temporal's, without pause, while the
// backup runs. Both copies are of one instant: Temporal's holds the rows
// of Shaobao's, or one fewer when the cut fell between the two commits.
// Copying one file after the other would find Temporal's far ahead.
func TestCreateCopiesBothDatabasesAtOneInstant(t *testing.T) {
	dir, sb, tp := dataFolder(t)
	// Enough pages that copying Shaobao's database takes a while.
	pad := bytes.Repeat([]byte{7}, 8192)
	for range 3000 {
		if _, err := sb.Exec("INSERT INTO t (pad) VALUES (?)", pad); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sb.Exec("DELETE FROM t"); err != nil { // the pages stay, the rows go
		t.Fatal(err)
	}
	var written atomic.Int64
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := sb.Exec("INSERT INTO t (pad) VALUES (x'00')"); err != nil {
				done <- err
				return
			}
			if _, err := tp.Exec("INSERT INTO t (pad) VALUES (x'00')"); err != nil {
				done <- err
				return
			}
			written.Add(1)
		}
	}()
	for written.Load() < 50 {
		time.Sleep(time.Millisecond)
	}
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	m, err := Create(context.Background(), Options{DataDir: dir, Out: out, Program: "test"})
	close(stop)
	if werr := <-done; werr != nil {
		t.Fatalf("writer: %v", werr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.Databases(), ","); got != "shaobao.db,temporal/temporal.db" {
		t.Fatalf("databases %s", got)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(context.Background(), out, restored); err != nil {
		t.Fatal(err)
	}
	a, b := count(t, filepath.Join(restored, "shaobao.db")), count(t, filepath.Join(restored, "temporal", "temporal.db"))
	t.Logf("cut at %d/%d rows of %d written", a, b, written.Load())
	if a != b && a != b+1 {
		t.Fatalf("Shaobao's copy has %d rows, Temporal's %d: not copied at one instant", a, b)
	}
	if a < 50 {
		t.Fatalf("Shaobao's copy has %d rows, the writer had committed 50 before the backup", a)
	}
	for _, wal := range []string{"shaobao.db-wal", "temporal/temporal.db-wal"} {
		if _, err := os.Stat(filepath.Join(restored, wal)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("restored %s exists (%v): a copy must be one file", wal, err)
		}
	}
	key, err := os.Stat(filepath.Join(restored, "secret.key"))
	if err != nil || key.Mode().Perm() != 0o600 {
		t.Fatalf("restored secret.key: %v %v, want mode 0600", key, err)
	}
	photo, err := os.ReadFile(filepath.Join(restored, "files", "files", "f1.jpg"))
	if err != nil || string(photo) != "a photo" {
		t.Fatalf("restored photo: %q %v", photo, err)
	}
}

// TestRestoreRefuses: a folder that is not empty, and an archive whose
// member differs from its manifest; neither leaves anything behind.
func TestRestoreRefuses(t *testing.T) {
	dir, _, _ := dataFolder(t)
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	if _, err := Create(context.Background(), Options{DataDir: dir, Out: out}); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(context.Background(), Options{DataDir: dir, Out: out}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("a second backup onto %s: %v, want a refusal", out, err)
	}

	t.Run("NotEmpty", func(t *testing.T) {
		target := t.TempDir()
		if err := os.WriteFile(filepath.Join(target, "keep.txt"), []byte("mine"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Restore(context.Background(), out, target); err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Fatalf("restore into a non-empty folder: %v", err)
		}
		if entries, _ := os.ReadDir(target); len(entries) != 1 {
			t.Fatalf("the folder now holds %d entries", len(entries))
		}
	})

	t.Run("Damaged", func(t *testing.T) {
		damaged := filepath.Join(t.TempDir(), "damaged.tar.gz")
		rewrite(t, out, damaged, "secret.key", func(b []byte) []byte { b[0] ^= 1; return b })
		parent := t.TempDir()
		target := filepath.Join(parent, "restored")
		_, err := Restore(context.Background(), damaged, target)
		if err == nil || !strings.Contains(err.Error(), "secret.key differs from the manifest") {
			t.Fatalf("restore of a damaged archive: %v", err)
		}
		if entries, _ := os.ReadDir(parent); len(entries) != 0 {
			t.Fatalf("a failed restore left %d entries in %s", len(entries), parent)
		}
	})
}

// rewrite copies the archive in to out with member name changed by edit.
func rewrite(t *testing.T, in, out, name string, edit func([]byte) []byte) {
	t.Helper()
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == name {
			data = edit(data)
		}
		h.Size = int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
